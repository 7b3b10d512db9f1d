-- wrk: PUT /cas/<hash> of blobs in turn (HASHES: one hash a line; CONTENTS: the blobs, BLOB_SIZE bytes each, in the
-- same order), so every request writes a whole blob the server checks against its name.
local hashes, size = {}, tonumber(os.getenv("BLOB_SIZE"))
for line in io.lines(os.getenv("HASHES")) do hashes[#hashes + 1] = line end
local file = assert(io.open(os.getenv("CONTENTS"), "rb"))
local data = file:read("*a")
file:close()
local next = 0
request = function()
  next = next % #hashes + 1
  return wrk.format("PUT", "/cas/" .. hashes[next], nil, data:sub((next - 1) * size + 1, next * size))
end
