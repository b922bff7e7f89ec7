'use strict';
// The grid worker app's service worker (scope /m/): it keeps the app shell, so the app opens
// without a network. The shell is fetched from the network first (a new version is used as soon
// as it is there) and from the cache when the network is gone or too slow. Calls to the API,
// streams and files are never touched here: the app itself queues its writes (IndexedDB) and
// keeps what it read, so a network failure reaches the app as one.

const VERSION = 'worker-shell-v3';
const SHELL = ['/m/', '/m/shared.js', '/m/worker.js', '/m/worker.css', '/m/worker.webmanifest', '/m/worker-icon.svg',
  // The contracts' enums in words and the services' refusals in Chinese, shared with the console.
  '/console/labels.json', '/console/errors.json'];
/** How long the network may take before the cached copy is used. */
const NETWORK_WAIT_MS = 4000;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(VERSION).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((name) => name !== VERSION).map((name) => caches.delete(name))))
    .then(() => self.clients.claim()));
});

/** The cache key of a request for the shell: the page itself for any navigation inside /m/. */
function shellKey(request) {
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || request.method !== 'GET') return null;
  if (request.mode === 'navigate' && url.pathname.startsWith('/m/')) return '/m/';
  if (SHELL.includes(url.pathname)) return url.pathname;
  return null;
}

async function networkFirst(request, key) {
  const cache = await caches.open(VERSION);
  const network = fetch(request).then((response) => {
    if (response.ok) cache.put(key, response.clone());
    return response;
  });
  network.catch(() => {});
  const timeout = new Promise((resolve) => { setTimeout(resolve, NETWORK_WAIT_MS, null); });
  try {
    const first = await Promise.race([network, timeout]);
    if (first) return first;
  } catch (error) {
    // No network: the cached copy below.
  }
  const cached = await cache.match(key);
  if (cached) return cached;
  return network;
}

self.addEventListener('fetch', (event) => {
  const key = shellKey(event.request);
  if (key) event.respondWith(networkFirst(event.request, key));
});
