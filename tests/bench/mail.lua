-- POST a JSON body to the URL's path: BENCH_BODY (the body, with "%EMAIL%" replaced by
-- BENCH_EMAIL). No cookie and no Origin, as a mail client's first request has none.
-- Used by tests/bench/mail.sh for request-password-reset and email-otp/send-verification-otp.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.gsub(os.getenv("BENCH_BODY"), "%%EMAIL%%", os.getenv("BENCH_EMAIL"))
