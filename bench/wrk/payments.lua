-- wrk: payment recording (village agents at the deadline), each request a new resident and a
-- unique receipt reference. BENCH_PAYMENTS: lines "id_number,amount"; BENCH_TOKEN; BENCH_CAMPAIGN;
-- BENCH_PAID_ON; BENCH_THREADS (must equal wrk -t); BENCH_RUN (prefix keeping references unique).
local rows = {}
for line in io.lines(os.getenv("BENCH_PAYMENTS")) do
  local id, amount = line:match("([^,]+),([^,]+)")
  rows[#rows + 1] = {id, amount}
end
local auth = "Bearer " .. os.getenv("BENCH_TOKEN")
local path = "/api/v1/campaigns/" .. os.getenv("BENCH_CAMPAIGN") .. "/payments"
local paid_on = os.getenv("BENCH_PAID_ON")
local threads = tonumber(os.getenv("BENCH_THREADS"))
local run = os.getenv("BENCH_RUN")
local n = 0

function setup(thread)
  n = n + 1
  thread:set("tid", n)
end

function init(args)
  k = tid  -- this thread takes rows tid, tid + threads, tid + 2 threads, ...
end

function request()
  local row = rows[k]
  if row == nil then
    k = tid
    row = rows[k]
  end
  local ref = run .. "-" .. tid .. "-" .. k
  k = k + threads
  return wrk.format("POST", path,
    {["Content-Type"] = "application/json", ["Authorization"] = auth},
    '{"id_number":"' .. row[1] .. '","amount":"' .. row[2] .. '","channel":"pos","external_ref":"' .. ref ..
    '","paid_on":"' .. paid_on .. '"}')
end
