/**
 * @module The `files` component measured for real: a node keeps its files in a real S3 server
 * (s3rver) reached through a TCP proxy, and its probes upload and fetch a small file. The proxy
 * refuses: the upload and download probes fail, their SLOs page, and the status page shows files
 * down (SEV2 by the file rows of the severity table), with messaging untouched; the proxy heals and files recover by
 * themselves. Probe successes are in `/metrics`. The same with the disk store's blob folder
 * replaced by a plain file, where a real user's failed upload is a traffic SLI event too. A node
 * whose file objectives are off does not list files on its status page at all.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Incident } from "../../src/ops/tower/model.js";
import type { AuthReply } from "../../src/protocol/index.js";
import { postJson, startTestServer, type TestServer } from "../harness.js";
import { startS3, type TestS3 } from "../s3-server.js";
import { startTcpProxy, type TcpProxy } from "../tcp-proxy.js";
import { eventually } from "./ops-helpers.js";

interface Summary {
  status: { indicator: string };
  components: { id: string; status: string }[];
  incidents: { id: string; name: string; status: string }[];
}

/** The value of one sample of `/metrics`, 0 when absent. */
function sample(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe("the files component, its blob store cut for real", () => {
  let s3: TestS3;
  let proxy: TcpProxy;
  let server: TestServer;
  let staff: AuthReply;

  const ops = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${server.url}/api/v1/ops${path}`, { headers: { authorization: `Bearer ${staff.token}` } });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  };
  const summary = async () => (await (await fetch(`${server.url}/summary.json`)).json()) as Summary;
  const filesStatus = async () => (await summary()).components.find((c) => c.id === "files")?.status;
  const metrics = async () => (await fetch(`${server.url}/metrics`)).text();

  beforeAll(async () => {
    s3 = await startS3();
    const target = new URL(s3.settings.endpoint);
    proxy = await startTcpProxy(target.hostname, Number(target.port));
    // Windows at 1/500 of the workbook's, a probe run every 150 ms; the tower grades every 100 ms
    // and resolves after 1 s quiet. The probes upload several times a second: no upload limit.
    server = await startTestServer({
      s3Endpoint: `http://127.0.0.1:${proxy.port}`,
      s3Bucket: s3.settings.bucket,
      s3AccessKeyId: s3.settings.accessKeyId,
      s3SecretAccessKey: s3.settings.secretAccessKey,
      probeIntervalMs: 150,
      probeTimeoutMs: 3000,
      sloWindowScale: 0.002,
      sloEvalMs: 100,
      towerTickMs: 100,
      resolveQuietMs: 1000,
      uploadsPerMinute: 1_000_000,
      staffChatConversation: "",
    });
    staff = await postJson<AuthReply>(
      server.url,
      "/api/v1/auth/register",
      { username: "files_oncall", password: "correct horse" },
      201,
    );
    await server.app.ctx.store.setRole(staff.user.username, "staff");
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await proxy?.close();
    await s3?.stop();
  });

  it("healthy: the file probes succeed, their successes are in /metrics, files is listed operational", async () => {
    await eventually(async () => {
      const { runs } = await ops<{ runs: { results: { probe: string; ok: boolean }[] }[] }>("/probes");
      const good = runs.filter((r) =>
        ["upload", "download"].every((p) => r.results.some((x) => x.probe === p && x.ok)),
      );
      expect(good.length).toBeGreaterThanOrEqual(5);
    }, 30_000);
    const text = await metrics();
    expect(sample(text, 'haetae_sli_events_total{sli="upload",source="probe",outcome="ok"}')).toBeGreaterThanOrEqual(5);
    expect(sample(text, 'haetae_sli_events_total{sli="download",source="probe",outcome="ok"}')).toBeGreaterThanOrEqual(
      5,
    );
    expect(sample(text, 'haetae_sli_events_total{sli="upload",source="probe",outcome="failed"}')).toBe(0);
    expect(sample(text, 'haetae_probe_latency_seconds_count{probe="upload"}')).toBeGreaterThanOrEqual(5);
    expect(await filesStatus()).toBe("operational");
    const { slos } = await ops<{ slos: { name: string; component: string }[] }>("/slos");
    expect(slos.filter((s) => s.component === "files").map((s) => s.name)).toEqual(["upload", "download"]);
  }, 40_000);

  let incidentId = "";

  it("the S3 server is cut: files goes down (a partial outage, SEV2) by itself; messaging stays operational", async () => {
    proxy.refuse = true;
    proxy.cut();
    await eventually(async () => {
      expect(await filesStatus()).toBe("partial_outage");
    }, 30_000);
    const body = await summary();
    expect(body.components.find((c) => c.id === "messaging")?.status).toBe("operational");
    const shown = body.incidents.find((i) => i.status !== "resolved");
    expect(shown?.name).toBe("Some files are failing to send or open");
    incidentId = shown?.id as string;
    const { incident } = await ops<{ incident: Incident }>(`/incidents/${incidentId}`);
    expect(incident.components.map((c) => c.id)).toEqual(["files"]);
    expect(incident.severity).toBe("SEV2");
    expect(incident.measured.probesFailed).toBeGreaterThan(0);
    // The public page says it too, in words.
    expect(await (await fetch(`${server.url}/status`)).text()).toContain("Some files are failing to send or open");
    const text = await metrics();
    expect(sample(text, 'haetae_sli_events_total{sli="upload",source="probe",outcome="failed"}')).toBeGreaterThan(0);
    expect(sample(text, 'haetae_sli_events_total{sli="download",source="probe",outcome="failed"}')).toBeGreaterThan(0);
    const { alerts } = await ops<{ alerts: { dedupKey: string; state: string }[] }>("/alerts?source=slo");
    expect(alerts.map((a) => a.dedupKey)).toContain("slo:upload:page");
  }, 40_000);

  it("the S3 server is back: the alerts resolve and files is operational again", async () => {
    proxy.refuse = false;
    await eventually(async () => {
      expect(await filesStatus()).toBe("operational");
      const { incident } = await ops<{ incident: Incident }>(`/incidents/${incidentId}`);
      expect(incident.status).toBe("resolved");
    }, 40_000);
    const { latest } = await ops<{ latest: Record<string, { ok: boolean }> }>("/probes");
    expect(latest.upload?.ok).toBe(true);
    expect(latest.download?.ok).toBe(true);
    expect((await summary()).status.indicator).toBe("none");
  }, 50_000);
});

describe("the files component, its disk blob folder broken", () => {
  let server: TestServer;
  let staff: AuthReply;
  let user: AuthReply;

  const ops = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${server.url}/api/v1/ops${path}`, { headers: { authorization: `Bearer ${staff.token}` } });
    return (await res.json()) as T;
  };
  const filesStatus = async () =>
    ((await (await fetch(`${server.url}/summary.json`)).json()) as Summary).components.find((c) => c.id === "files")
      ?.status;
  const upload = (token: string) =>
    fetch(`${server.url}/api/v1/files`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/octet-stream", "x-file-name": "a.bin" },
      body: new Uint8Array(4096).map(() => Math.floor(Math.random() * 256)),
    });

  beforeAll(async () => {
    server = await startTestServer({
      probeIntervalMs: 150,
      probeTimeoutMs: 3000,
      sloWindowScale: 0.002,
      sloEvalMs: 100,
      towerTickMs: 100,
      resolveQuietMs: 1000,
      uploadsPerMinute: 1_000_000,
      staffChatConversation: "",
    });
    const reg = (username: string) =>
      postJson<AuthReply>(server.url, "/api/v1/auth/register", { username, password: "correct horse" }, 201);
    staff = await reg("disk_oncall");
    user = await reg("disk_user");
    await server.app.ctx.store.setRole(staff.user.username, "staff");
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  it("goes down when the blob folder cannot be written, counts a real user's failed upload, and recovers when it is back", async () => {
    await eventually(async () => {
      const { latest } = await ops<{ latest: Record<string, { ok: boolean }> }>("/probes");
      expect(latest.upload?.ok && latest.download?.ok).toBe(true);
    }, 30_000);
    expect((await upload(user.token)).status).toBe(201);
    // The blob folder replaced by a plain file: no blob can be written or read (root ignores modes,
    // so an unwritable folder is made this way).
    const blobs = join(server.dataDir, "files", "blobs");
    renameSync(blobs, `${blobs}.away`);
    writeFileSync(blobs, "not a folder");
    const refused = await upload(user.token);
    expect(refused.status).toBe(500);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("internal");
    await eventually(async () => expect(await filesStatus()).toBe("partial_outage"), 30_000);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(sample(metrics, 'haetae_sli_events_total{sli="upload",source="traffic",outcome="failed"}')).toBe(1);
    expect(sample(metrics, 'haetae_sli_events_total{sli="upload",source="traffic",outcome="ok"}')).toBe(1);

    rmSync(blobs);
    renameSync(`${blobs}.away`, blobs);
    mkdirSync(blobs, { recursive: true });
    await eventually(async () => expect(await filesStatus()).toBe("operational"), 40_000);
    expect((await upload(user.token)).status).toBe(201);

    // A staging folder the node cannot write is its own failure too, not a body the client cut.
    const staging = join(server.dataDir, "files", "staging");
    renameSync(staging, `${staging}.away`);
    writeFileSync(staging, "not a folder");
    const unstaged = await upload(user.token);
    expect(unstaged.status).toBe(500);
    expect(((await unstaged.json()) as { error: { code: string } }).error.code).toBe("internal");
    rmSync(staging);
    renameSync(`${staging}.away`, staging);
  }, 90_000);
});

describe("a node whose file objectives are off", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ sloUploadTarget: 0, sloDownloadTarget: 0 });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("does not claim files on its status page", async () => {
    const { components } = (await (await fetch(`${server.url}/api/v2/components.json`)).json()) as {
      components: { id: string; name: string }[];
    };
    expect(components.map((c) => c.id)).not.toContain("files");
    expect(components.map((c) => c.id)).toContain("messaging");
    const page = await (await fetch(`${server.url}/status`)).text();
    expect(page).toContain("Messaging");
    expect(page).not.toContain(">Files<");
  });
});
