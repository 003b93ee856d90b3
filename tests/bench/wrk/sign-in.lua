-- tests/bench/wrk/sign-in.lua: POST sign-in/email as BENCH_EMAIL / BENCH_PASS, no cookie and no
-- Origin (a fresh sign-in: one password verification and one new session row per request)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format('{"email":"%s","password":"%s"}', os.getenv("BENCH_EMAIL"), os.getenv("BENCH_PASS"))
