-- tests/bench/wrk/get-session.lua: GET with the Cookie header BENCH_COOKIE (a signed-in session)
wrk.method = "GET"
wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
