// Browser APIs jsdom lacks that the app touches when loaded: uPlot watches the device
// pixel ratio with matchMedia as soon as it is imported.
if (typeof window.matchMedia !== 'function') {
  window.matchMedia = (query: string) =>
    ({
      matches: false, media: query, onchange: null, addEventListener: () => undefined, removeEventListener: () => undefined,
      addListener: () => undefined, removeListener: () => undefined, dispatchEvent: () => false,
    }) as MediaQueryList;
}
