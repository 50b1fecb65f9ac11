-- POST one body per request, with a fresh id spliced in wherever the body says @ID@
-- (the form's submission_token, a batch's partner references) and in any header that
-- says @ID@ (Idempotency-Key). Prints a WRK_JSON line with throughput and latency.
--
--   wrk -t2 -c50 -d20s -s post.lua URL -- BODY_FILE TAG ["Header: value" ...]

local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

local function split(text, marker)
  local parts, start = {}, 1
  while true do
    local i, j = string.find(text, marker, start, true)
    if not i then
      table.insert(parts, string.sub(text, start))
      return parts
    end
    table.insert(parts, string.sub(text, start, i - 1))
    start = j + 1
  end
end

function init(args)
  local file = assert(io.open(args[1], "rb"))
  local body = file:read("*a")
  file:close()
  body_parts = split(body, "@ID@")
  prefix = args[2] .. "-" .. thread_id .. "-"
  counter = 0
  fixed_headers, id_headers = {}, {}
  fixed_headers["Content-Type"] = "application/x-www-form-urlencoded"
  for i = 3, #args do
    local name, value = string.match(args[i], "^([^:]+):%s*(.*)$")
    if string.find(value, "@ID@", 1, true) then
      id_headers[name] = value
    else
      fixed_headers[name] = value
    end
  end
end

function request()
  counter = counter + 1
  local id = prefix .. counter
  local pieces = {}
  for k = 1, #body_parts - 1 do
    pieces[#pieces + 1] = body_parts[k]
    pieces[#pieces + 1] = id .. "-" .. k
  end
  pieces[#pieces + 1] = body_parts[#body_parts]
  local headers = {}
  for name, value in pairs(fixed_headers) do headers[name] = value end
  for name, value in pairs(id_headers) do
    headers[name] = string.gsub(value, "@ID@", id)
  end
  return wrk.format("POST", nil, headers, table.concat(pieces))
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "connect_errors": %d, ' ..
    '"read_errors": %d, "write_errors": %d, "status_errors": %d, "timeouts": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
