-- tests/bench/wrk/plain-get.lua: GET without credentials (the ok and jwks cases)
wrk.method = "GET"
