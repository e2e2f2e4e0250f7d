/**
 * @module The bare Node peer of `bench:files`: what an upload and a download cost with nothing
 * around them. `POST /upload` is `pipeline(req, fs.createWriteStream(...))` then fsync; `GET
 * /file/<name>` is `fs.createReadStream` piped to the socket. No auth, no hashing, no rows.
 */
import { createReadStream, createWriteStream, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { createServer } from "node:http";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";

const [port = "0", dir = "."] = process.argv.slice(2);
let next = 0;
const server = createServer(async (req, res) => {
  try {
    if (req.method === "POST") {
      const name = `upload-${++next}`;
      const path = join(dir, name);
      await pipeline(req, createWriteStream(path));
      const handle = await open(path, "r+");
      await handle.sync();
      await handle.close();
      res.writeHead(201, { "content-type": "application/json" });
      return void res.end(JSON.stringify({ name }));
    }
    const path = join(dir, (req.url ?? "").replace(/^\/file\//, ""));
    res.writeHead(200, { "content-length": statSync(path).size });
    await pipeline(createReadStream(path), res);
  } catch (error) {
    res.destroy(error as Error);
  }
});
server.listen(Number(port), "127.0.0.1", () => console.log(`file peer listening on ${port}`));
