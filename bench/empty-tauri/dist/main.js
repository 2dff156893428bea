// Reports the first painted frame, as Keyhaven's UI does.
requestAnimationFrame(() => requestAnimationFrame(() => window.__TAURI_INTERNALS__.invoke("ui_ready")));
