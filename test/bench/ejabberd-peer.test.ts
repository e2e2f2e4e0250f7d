/**
 * @module The ejabberd peer's pure parts: reading RFC 7395 frames by their opening tag, XML
 * escaping both ways, the instance config (mod_mam only in the archiving variant), and the
 * install check failing with the way to install instead of skipping the peer.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ejabberdConfig, findEjabberd } from "../../bench/peers/ejabberd-server.js";
import { attribute, elementName, xmlEscape, xmlUnescape } from "../../bench/peers/xmpp-client.js";

describe("XMPP frames", () => {
  it("names the top-level element, prefixed or not", () => {
    expect(elementName("<stream:features xmlns:stream='x'><bind/></stream:features>")).toBe("stream:features");
    expect(elementName("<a h='3' xmlns='urn:xmpp:sm:3'/>")).toBe("a");
    expect(elementName("<r xmlns='urn:xmpp:sm:3'/>")).toBe("r");
  });

  it("reads attributes of the top-level element only, in either quote style", () => {
    const frame =
      "<message xmlns='jabber:client' from='a@x/r' type=\"chat\" id='12.7'><stanza-id id='999' by='b@x'/><body>hi</body></message>";
    expect(attribute(frame, "id")).toBe("12.7");
    expect(attribute(frame, "type")).toBe("chat");
    expect(attribute(frame, "from")).toBe("a@x/r");
    expect(attribute(frame, "by")).toBeUndefined();
    expect(attribute("<a xmlns='urn:xmpp:sm:3' h='42'/>", "h")).toBe("42");
  });

  it("does not mistake an attribute whose name ends like another for it", () => {
    expect(attribute("<message xml:lang='en' stanza-id='no' id='yes'/>", "id")).toBe("yes");
  });

  it("escapes text and unescapes it back, Korean and quotes included", () => {
    const text = `새해 <복> & "많이" 'ok'`;
    const escaped = xmlEscape(text);
    expect(escaped).not.toMatch(/[<>"']/);
    expect(xmlUnescape(escaped)).toBe(text);
    expect(xmlUnescape("&#xD55C;&#44544;")).toBe("한글");
  });
});

describe("ejabberd instance", () => {
  it("archives with mod_mam on SQLite only in the mam variant, and listens on loopback", () => {
    const plain = ejabberdConfig({ port: 5999, dir: "/tmp/x", mam: false });
    const mam = ejabberdConfig({ port: 5999, dir: "/tmp/x", mam: true });
    expect(plain).not.toContain("mod_mam");
    expect(plain).not.toContain("sql_type");
    expect(mam).toContain("mod_mam:");
    expect(mam).toContain("sql_type: sqlite");
    expect(mam).toContain('"/tmp/x/archive.db"');
    for (const config of [plain, mam]) {
      expect(config).toContain('ip: "127.0.0.1"');
      expect(config).toContain("port: 5999");
      expect(config).not.toContain("shaper");
    }
  });

  it("fails with the way to install it when ejabberd is not there", () => {
    const empty = mkdtempSync(join(tmpdir(), "no-ejabberd-"));
    try {
      expect(() => findEjabberd(false, [empty])).toThrow(/not installed.*apt-get install -y ejabberd/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
