/**
 * nest-micro/web: the dashboard (issue 19) — the fleet, calls, streams, pub/sub and numbers in a
 * browser. `nest-micro web` runs it; `MicroDashboardModule` (nest-micro) mounts it in a Nest HTTP app.
 */
export { MicroDashboard } from './dashboard.js';
export { DASHBOARD_DEFAULTS, WEB_ERROR_ID, type DashboardOptions } from './options.js';
export { VENDOR_FILES } from './assets.js';
export type { FleetStats, HealthStatus, NodeHealth, NodeStatsEntry } from './fleet.js';
