-- wrk: PUT /cas/<hash> of blobs in turn (HASHES: one hash a line; CONTENTS: the blobs, BLOB_SIZE bytes each, in the
-- same order), so every request writes a whole blob the server checks against its name. Formatted once, up front.
-- (In init: only then does wrk.format know the Host header.)
local requests = {}
init = function()
  local size = tonumber(os.getenv("BLOB_SIZE"))
  local file = assert(io.open(os.getenv("CONTENTS"), "rb"))
  local data = file:read("*a")
  file:close()
  for line in io.lines(os.getenv("HASHES")) do
    local at = #requests * size
    requests[#requests + 1] = wrk.format("PUT", "/cas/" .. line, nil, data:sub(at + 1, at + size))
  end
end
local next = 0
request = function()
  next = next % #requests + 1
  return requests[next]
end
