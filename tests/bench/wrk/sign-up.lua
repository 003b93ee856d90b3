-- tests/bench/wrk/sign-up.lua: POST sign-up/email with a new address per request (one password
-- hash, one user, account and session row each); BENCH_TAG keeps the addresses of runs apart
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local n = 0
local tag = os.getenv("BENCH_TAG") or "m"
function setup(thread) thread:set("tid", tostring(math.random(1, 1e9))) end
request = function()
  n = n + 1
  local body = string.format('{"email":"su-%s-%s-%d@example.com","password":"bench-password-123","name":"B"}',
    tag, tid or "0", n)
  return wrk.format(nil, nil, nil, body)
end
