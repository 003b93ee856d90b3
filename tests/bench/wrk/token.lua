-- tests/bench/wrk/token.lua: GET /token (jwt plugin) with the Cookie header BENCH_COOKIE
wrk.method = "GET"
wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
