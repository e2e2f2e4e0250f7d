/** @module My devices: every login with when it was last used; log any of them out. */
import { useEffect } from "preact/hooks";
import { t } from "../i18n/i18n.js";
import { whenFull } from "./format.js";
import { ScreenHeader } from "./screen-header.js";
import { useStore } from "./store-context.js";

export function DevicesScreen({ onLogout }: { onLogout(): void }) {
  const store = useStore();
  const { directory } = store;
  useEffect(() => {
    void directory.loadDevices();
  }, [directory]);
  return (
    <section class="page" aria-labelledby="page-title">
      <ScreenHeader title={t("devices.title")} />
      <div class="page-body">
        <ul class="devices">
          {directory.devices.map((device) => (
            <li key={device.id} data-current={device.current}>
              <span class="device-name">
                <strong>{device.name}</strong>
                {device.current && <span class="tag">{t("devices.this")}</span>}
              </span>
              <span class="muted">{t("devices.created", { time: whenFull(device.createdAt) })}</span>
              <span class="muted">{t("devices.seen", { time: whenFull(device.lastSeenAt) })}</span>
              <button
                type="button"
                class="quiet danger"
                onClick={() => (device.current ? onLogout() : void directory.revokeDevice(device.id))}
              >
                {device.current ? t("devices.revokeThis") : t("devices.revoke")}
              </button>
            </li>
          ))}
        </ul>
      </div>
    </section>
  );
}
