-- tests/bench/wrk/branches.lua: GET get-session with BENCH_COOKIE on one of BR_N template-mapped
-- branches (/<BR_PREFIX><i>/auth, i = 1..BR_N) per request: BR_DIST = "uniform", or "zipf" (s =
-- BR_ZIPF_S, 1.0 by default: a hot few and a long tail; the CDF is built once per thread)
local n = tonumber(os.getenv("BR_N") or "1")
local prefix = os.getenv("BR_PREFIX") or "bn_"
local dist = os.getenv("BR_DIST") or "uniform"
local s = tonumber(os.getenv("BR_ZIPF_S") or "1.0")
local cookie = os.getenv("BENCH_COOKIE")
local cdf = nil
local function build()
  cdf = {}
  local total = 0
  for i = 1, n do total = total + 1 / (i ^ s) end
  local acc = 0
  for i = 1, n do acc = acc + 1 / (i ^ s) / total; cdf[i] = acc end
end
local function pick()
  if dist ~= "zipf" then return math.random(1, n) end
  if cdf == nil then build() end
  local u, lo, hi = math.random(), 1, n
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if cdf[mid] < u then lo = mid + 1 else hi = mid end
  end
  return lo
end
function setup(thread) thread:set("seed", math.random(1, 1e9)) end
function init() math.randomseed(seed or os.time()) end
request = function()
  return wrk.format("GET", "/" .. prefix .. pick() .. "/auth/get-session", { ["Cookie"] = cookie })
end
