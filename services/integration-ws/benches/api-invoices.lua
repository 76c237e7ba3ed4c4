-- wrk script for the closed loop of benches/api.rs: every request signs one 5 KB UBL invoice
-- with fresh external references, and every answer must be 200 with the invoice SIGNED and its
-- signed content returned; anything else is counted (and the first one kept) as an error.
--
-- wrk -s api-invoices.lua URL -- TEMPLATE_FILE TOKEN RUN
--   TEMPLATE_FILE: the JSON request with @OP@ and @DOC@ where the references go
--   TOKEN:         the bearer token
--   RUN:           a prefix that makes the references of this run unique
--
-- done() prints one line for benches/api.rs:
--   signstash-wrk responses=N errors=N socket_errors=N duration_us=N sample=...

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

-- The template cut at its two placeholders, in the order they come: first, second, rest.
local first, second, rest
local first_is_op
local headers
local prefix
local n = 0
errors = 0
sample = ""

function init(args)
  local file = assert(io.open(args[1], "rb"))
  local template = file:read("*a")
  file:close()
  local op = assert(string.find(template, "@OP@", 1, true))
  local doc = assert(string.find(template, "@DOC@", 1, true))
  first_is_op = op < doc
  local a, a_len, b, b_len = op, 4, doc, 5
  if not first_is_op then
    a, a_len, b, b_len = doc, 5, op, 4
  end
  first = string.sub(template, 1, a - 1)
  second = string.sub(template, a + a_len, b - 1)
  rest = string.sub(template, b + b_len)
  headers = {
    ["Authorization"] = "Bearer " .. args[2],
    ["Content-Type"] = "application/json",
  }
  prefix = "BENCH-" .. args[3] .. "-" .. id .. "-"
end

function request()
  n = n + 1
  local op = prefix .. n
  local doc = op .. "-INV"
  local body
  if first_is_op then
    body = first .. op .. second .. doc .. rest
  else
    body = first .. doc .. second .. op .. rest
  end
  return wrk.format("POST", nil, headers, body)
end

function response(status, _, body)
  if status ~= 200
    or not string.find(body, '"signStatus":"SIGNED"', 1, true)
    or not string.find(body, '"signedContent":"', 1, true)
  then
    errors = errors + 1
    if sample == "" then
      sample = status .. ": " .. string.sub(string.gsub(body or "", "%s+", " "), 1, 300)
    end
  end
end

function done(summary, _, _)
  local errs, first = 0, ""
  for _, thread in ipairs(threads) do
    errs = errs + thread:get("errors")
    if first == "" then
      first = thread:get("sample")
    end
  end
  local e = summary.errors
  io.write(string.format(
    "signstash-wrk responses=%d errors=%d socket_errors=%d duration_us=%d sample=%s\n",
    summary.requests, errs, e.connect + e.read + e.write + e.timeout, summary.duration, first))
end
