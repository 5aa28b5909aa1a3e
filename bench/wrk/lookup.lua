-- wrk: authenticated resident lookups (缴费查询) over many ID numbers.
-- BENCH_IDS: file with one ID number per line; BENCH_TOKEN: a bearer token.
local ids = {}
for line in io.lines(os.getenv("BENCH_IDS")) do ids[#ids + 1] = line end
local auth = "Bearer " .. os.getenv("BENCH_TOKEN")
local n = 0

function setup(thread)
  n = n + 1
  thread:set("tid", n)
end

function init(args)
  math.randomseed(tid * 7919)
end

function request()
  local id = ids[math.random(#ids)]
  return wrk.format("POST", "/api/v1/residents/lookup",
    {["Content-Type"] = "application/json", ["Authorization"] = auth},
    '{"id_number":"' .. id .. '"}')
end
