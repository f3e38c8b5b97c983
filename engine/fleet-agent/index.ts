/** The agent's side of fleet bundles: polling fleet.source, applying verified bundles, keeping them on disk. */
export { FleetClient, RolledBackError, type BasePolicy, type FleetHost, type FleetStatus } from './client.js';
export { FetchError, fetchBundle, MAX_BUNDLE_BYTES } from './source.js';
export { FLEET_DIR, FleetStore, type BundleRef, type FleetError, type FleetState } from './store.js';
