-- wrk script: counts responses by the app version in their JSON body, across threads,
-- and writes the run's totals as one JSON object to the file named in $LOAD_REPORT.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  counts = {}
end

-- Each connection waits LOAD_DELAY_MS between an answer and its next request: the load
-- keeps every connection busy at a known pace and leaves the playbook under test CPU.
local pause = tonumber(os.getenv("LOAD_DELAY_MS") or "0")

function delay()
  return pause
end

function response(status, headers, body)
  local key = body and body:match('"version":"([^"]+)"') or ("status " .. status)
  counts[key] = (counts[key] or 0) + 1
end

function done(summary, latency, requests)
  local versions = {}
  for _, thread in ipairs(threads) do
    for key, n in pairs(thread:get("counts")) do
      versions[key] = (versions[key] or 0) + n
    end
  end
  local parts = {}
  for key, n in pairs(versions) do
    table.insert(parts, string.format('"%s": %d', key, n))
  end
  local e = summary.errors
  local report = string.format(
    '{"requests": %d, "seconds": %.1f, "non2xx": %d, "connect": %d, "read": %d, "write": %d, '
      .. '"timeout": %d, "p99_ms": %.1f, "max_ms": %.1f, "versions": {%s}}\n',
    summary.requests, summary.duration / 1000000, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(99) / 1000, latency.max / 1000, table.concat(parts, ", "))
  local file = assert(io.open(os.getenv("LOAD_REPORT"), "w"))
  file:write(report)
  file:close()
  io.write(report)
end
