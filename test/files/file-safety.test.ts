/**
 * Attacks on files, each tried for real: a type claimed by the client, HTML and SVG that would
 * run in the page's origin, a GIF/JS polyglot, a photo's GPS and orientation, a decompression
 * bomb, a corrupt image, and file names built to traverse paths or mislead a reader.
 */
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Person } from "../features/helpers.js";
import { closeAll, person } from "../features/helpers.js";
import { startTestServer, type TestServer } from "../harness.js";
import { download, pngBomb, sha256, upload, uploaded } from "./files-helpers.js";

let server: TestServer;
let alice: Person;
beforeAll(async () => {
  server = await startTestServer({ fileSweepMs: 0, maxImagePixels: 50_000_000 });
  alice = await person(server, "fx");
});
afterAll(async () => {
  await closeAll(alice.client);
  await server.stop();
});

/** Every file answer is sandboxed, whatever it holds. */
function expectSandboxed(headers: Headers): void {
  expect(headers.get("x-content-type-options")).toBe("nosniff");
  expect(headers.get("content-security-policy")).toContain("sandbox");
  expect(headers.get("content-security-policy")).toContain("default-src 'none'");
}

describe("content that could run", () => {
  it("sniffs the type from the bytes, never the client's, and serves HTML, SVG and scripts as attachments", async () => {
    const samples: [string, string][] = [
      ["page.html", "<!doctype html><html><script>parent.document.title='owned'</script></html>"],
      ["logo.svg", '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'],
      ["x.js", "fetch('/api/v1/auth/logout',{method:'POST'})"],
    ];
    for (const [name, text] of samples) {
      const res = await fetch(`${server.url}/api/v1/files`, {
        method: "POST",
        headers: { authorization: `Bearer ${alice.auth.token}`, "x-file-name": name, "content-type": "image/png" },
        body: text,
      });
      const { file } = (await res.json()) as { file: { url: string; contentType: string } };
      expect(file.contentType).not.toMatch(/image|html|svg|javascript/);
      const got = await download(server.url, alice.auth.token, file.url);
      expect(got.headers.get("content-type")).toBe("application/octet-stream");
      expect(got.headers.get("content-disposition")).toMatch(/^attachment;/);
      expectSandboxed(got.headers);
    }
  });

  it("serves a GIF/JS polyglot as an image the browser may not sniff into a script", async () => {
    const gif = await sharp({ create: { width: 4, height: 4, channels: 3, background: "blue" } })
      .gif()
      .toBuffer();
    const polyglot = Buffer.concat([gif, Buffer.from("*/=1;alert(document.domain)//")]);
    const file = await uploaded(server.url, alice.auth.token, polyglot, "cat.gif");
    expect(file.contentType).toBe("image/gif");
    const got = await download(server.url, alice.auth.token, file.url);
    expect(got.headers.get("content-type")).toBe("image/gif");
    expectSandboxed(got.headers);
  });
});

describe("photos", () => {
  it("applies the EXIF orientation, strips GPS and every other metadata, and measures and thumbnails the photo", async () => {
    const photo = await sharp({ create: { width: 400, height: 200, channels: 3, background: "red" } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .withExif({
        IFD0: { Artist: "SECRET-ARTIST" },
        IFD3: { GPSLatitudeRef: "N", GPSLatitude: "37/1 33/1 0/1", GPSVersionID: "2 2 0 0" },
      })
      .toBuffer();
    expect(photo.includes("SECRET-ARTIST")).toBe(true);
    const file = await uploaded(server.url, alice.auth.token, photo, "IMG_0001.jpg");
    // Orientation 6 turns the stored 400×200 into a 200×400 picture.
    expect(file).toMatchObject({ contentType: "image/jpeg", width: 200, height: 400 });
    const got = await download(server.url, alice.auth.token, file.url);
    expect(sha256(got.bytes)).toBe(file.sha256);
    expect(got.bytes.length).toBe(file.size);
    expect(got.bytes.includes("SECRET-ARTIST")).toBe(false);
    const meta = await sharp(got.bytes).metadata();
    expect(meta.exif).toBeUndefined();
    expect(meta.orientation).toBeUndefined();
    expect([meta.width, meta.height]).toEqual([200, 400]);
    expect(got.headers.get("content-disposition")).toMatch(/^inline;/);

    expect(file.thumbnailUrl).toBe(`${file.url}/thumbnail`);
    const thumb = await download(server.url, alice.auth.token, file.thumbnailUrl as string);
    expect(thumb.headers.get("content-type")).toBe("image/webp");
    const thumbMeta = await sharp(thumb.bytes).metadata();
    expect(Math.max(thumbMeta.width ?? 0, thumbMeta.height ?? 0)).toBeLessThanOrEqual(320);
    expect(thumbMeta.height).toBeGreaterThan(thumbMeta.width ?? 0);
    expectSandboxed(thumb.headers);
  });

  it("strips the metadata of an upright JPEG without re-encoding its picture", async () => {
    const photo = await sharp({ create: { width: 300, height: 200, channels: 3, background: "orange" } })
      .jpeg()
      .withExif({
        IFD0: { Artist: "SECRET-ARTIST", ImageDescription: "home" },
        IFD3: { GPSLatitudeRef: "N", GPSLatitude: "37/1 33/1 0/1", GPSVersionID: "2 2 0 0" },
      })
      .toBuffer();
    const file = await uploaded(server.url, alice.auth.token, photo, "upright.jpg");
    expect(file).toMatchObject({ width: 300, height: 200, contentType: "image/jpeg" });
    const got = await download(server.url, alice.auth.token, file.url);
    expect(got.bytes.includes("SECRET-ARTIST")).toBe(false);
    expect((await sharp(got.bytes).metadata()).exif).toBeUndefined();
    // From the start of scan on, the bytes are the camera's own.
    const scan = (bytes: Buffer) => bytes.subarray(bytes.indexOf(Buffer.from([0xff, 0xda])));
    expect(scan(got.bytes).equals(scan(photo))).toBe(true);
  });

  it("refuses a decompression bomb with image_too_large before decoding it", async () => {
    const bomb = pngBomb(100_000, 100_000);
    expect(bomb.length).toBeLessThan(100_000);
    const started = performance.now();
    const answer = await upload(server.url, alice.auth.token, bomb, "bomb.png");
    expect([answer.status, answer.body.error?.code]).toEqual([413, "image_too_large"]);
    expect(answer.body.error?.message).toContain("100000");
    expect(performance.now() - started).toBeLessThan(5000);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it("keeps a corrupt image as a plain file, not a crash", async () => {
    const photo = await sharp({ create: { width: 64, height: 64, channels: 3, background: "green" } })
      .jpeg()
      .toBuffer();
    const broken = Buffer.concat([photo.subarray(0, 200), Buffer.alloc(500, 0x41)]);
    const file = await uploaded(server.url, alice.auth.token, broken, "broken.jpg");
    expect(file.contentType).toBe("application/octet-stream");
    expect(file.width).toBeUndefined();
    const got = await download(server.url, alice.auth.token, file.url);
    expect(got.bytes).toEqual(broken);
    expect(got.headers.get("content-disposition")).toMatch(/^attachment;/);
  });
});

describe("file names", () => {
  it("neutralizes traversal, control characters, RTL overrides and overlong names, and keeps Korean readable", async () => {
    const cases: [string, string][] = [
      ["../../etc/passwd", "_.._etc_passwd"],
      ["..\\..\\boot.ini", "_.._boot.ini"],
      ["evil\u202Egpj.exe", "evilgpj.exe"],
      ["a\u0000b\r\nc\u0007.txt", "abc.txt"],
      ["   .hidden  ", "hidden"],
      ["", "file"],
      ["사진 모음 (가을).zip", "사진 모음 (가을).zip"],
    ];
    for (const [sent, kept] of cases) {
      const file = await uploaded(server.url, alice.auth.token, new TextEncoder().encode(`name ${sent}`), sent);
      expect(file.name, JSON.stringify(sent)).toBe(kept);
      const got = await download(server.url, alice.auth.token, file.url);
      const disposition = got.headers.get("content-disposition") ?? "";
      const star = /filename\*=UTF-8''(.+)$/.exec(disposition)?.[1] ?? "";
      expect(decodeURIComponent(star)).toBe(kept);
      expect(/filename="([^"]*)"/.exec(disposition)?.[1]).toMatch(/^[\x20-\x7e]*$/);
    }
    const long = `${"가".repeat(200)}.pdf`;
    const file = await uploaded(server.url, alice.auth.token, new TextEncoder().encode("long"), long);
    expect(Buffer.byteLength(file.name)).toBeLessThanOrEqual(255);
    expect(file.name.endsWith(".pdf")).toBe(true);
    expect(file.name.startsWith("가가가")).toBe(true);
  });
});
