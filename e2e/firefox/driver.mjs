// driver.mjs drives Debian's firefox-esr, headless, over WebDriver BiDi with
// puppeteer-core, for the Go browser suite (../firefox_test.go). The Go test
// starts it once per run and sends one JSON command per line on stdin; each
// answer is one JSON line on stdout with the command's id:
//
//	{"id":1,"cmd":"version"}                           -> {"id":1,"value":"firefox/153.8.0"}
//	{"id":2,"cmd":"open"}                              -> {"id":2,"value":"c1"}  a fresh browser context
//	{"id":3,"cmd":"eval","ctx":"c1","page":URL,"js":JS} -> {"id":3,"value":...}  JS's (awaited) value on page
//	{"id":4,"cmd":"screenshot","ctx":"c1"}             -> {"id":4,"value":"<base64 PNG>"}
//	{"id":5,"cmd":"console","ctx":"c1"}                -> {"id":5,"value":["Cross-Origin Request Blocked: ..."]}
//	{"id":6,"cmd":"close","ctx":"c1"}                  -> {"id":6,"value":null}
//
// console lists the messages the context's page logged (WebDriver BiDi's
// log.entryAdded: console API calls, and the errors Firefox reports to the
// page's console, its CORS refusals among them) since the last eval began.
//
// A failure is {"id":N,"error":"..."}. When stdin closes (the Go test ended,
// however it ended) the browser is closed and the process exits.
//
// Environment: FIREFOX (the binary, default /usr/bin/firefox-esr) and
// DEAD_PROXY (host:port of a closed local port that every name not mapped
// to loopback is proxied to).
import {createInterface} from 'node:readline';
import puppeteer from 'puppeteer-core';

const [proxyHost, proxyPort] = (process.env.DEAD_PROXY || '127.0.0.1:9').split(':');

// Firefox must contact nothing but loopback. Every name resolves to
// 127.0.0.1 (which also maps the suite's *.test origins, as Chromium's
// --host-resolver-rules does), anything else goes to a dead proxy, and the
// background services that call home are off.
const prefs = {
  // Names: all to loopback, never the system resolver or DNS over HTTPS.
  'network.dns.forceResolve': '127.0.0.1',
  'network.trr.mode': 5, // TRR off by choice
  'network.trr.uri': '',
  'network.dns.disablePrefetch': true,
  'network.dns.native_https_query': false,
  'network.dns.echconfig.enabled': false,
  'network.predictor.enabled': false,
  'network.prefetch-next': false,
  'network.http.speculative-parallel-limit': 0,
  'browser.urlbar.speculativeConnect.enabled': false,
  'network.http.http3.enable': false,
  // Any host the suite does not use goes to a closed local port.
  'network.proxy.type': 1,
  'network.proxy.http': proxyHost,
  'network.proxy.http_port': Number(proxyPort),
  'network.proxy.ssl': proxyHost,
  'network.proxy.ssl_port': Number(proxyPort),
  'network.proxy.socks_remote_dns': true,
  'network.proxy.no_proxies_on': 'localhost, 127.0.0.1, .test',
  // Captive portal and connectivity checks.
  'network.captive-portal-service.enabled': false,
  'captivedetect.canonicalURL': '',
  'network.connectivity-service.enabled': false,
  // Remote settings (blocklists, CRLite, Nimbus...): release builds ignore
  // this pref unless MOZ_REMOTE_SETTINGS_DEVTOOLS=1 (set at launch below).
  'services.settings.server': `http://${proxyHost}:${proxyPort}/v1`,
  'security.remote_settings.crlite_filters.enabled': false,
  'security.remote_settings.intermediates.enabled': false,
  'extensions.blocklist.enabled': false,
  'security.OCSP.enabled': 0,
  // Telemetry and data reporting.
  'toolkit.telemetry.enabled': false,
  'toolkit.telemetry.unified': false,
  'toolkit.telemetry.archive.enabled': false,
  'toolkit.telemetry.server': '',
  'toolkit.telemetry.shutdownPingSender.enabled': false,
  'toolkit.telemetry.firstShutdownPing.enabled': false,
  'toolkit.telemetry.newProfilePing.enabled': false,
  'toolkit.telemetry.updatePing.enabled': false,
  'toolkit.telemetry.bhrPing.enabled': false,
  'datareporting.healthreport.uploadEnabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'browser.ping-centre.telemetry': false,
  'browser.newtabpage.activity-stream.telemetry': false,
  'browser.newtabpage.activity-stream.feeds.telemetry': false,
  // Updates: the application, add-ons, search engines, region, GMP plugins.
  'app.update.auto': false,
  'app.update.disabledForTesting': true,
  'app.update.url': '',
  'extensions.update.enabled': false,
  'extensions.getAddons.cache.enabled': false,
  'extensions.systemAddon.update.enabled': false,
  'browser.search.update': false,
  'browser.region.update.enabled': false,
  'browser.region.network.url': '',
  'geo.provider.network.url': '',
  'media.gmp-manager.updateEnabled': false,
  'media.gmp-manager.url': '',
  'media.gmp-gmpopenh264.enabled': false,
  'media.gmp-widevinecdm.enabled': false,
  // Safe browsing, Normandy/Shield studies, Nimbus experiments, push.
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'browser.safebrowsing.downloads.enabled': false,
  'browser.safebrowsing.downloads.remote.enabled': false,
  'browser.safebrowsing.blockedURIs.enabled': false,
  'browser.safebrowsing.provider.google.updateURL': '',
  'browser.safebrowsing.provider.google4.updateURL': '',
  'browser.safebrowsing.provider.mozilla.updateURL': '',
  'app.normandy.enabled': false,
  'app.normandy.api_url': '',
  'app.shield.optoutstudies.enabled': false,
  'messaging-system.rsexperimentloader.enabled': false,
  'nimbus.rollouts.enabled': false,
  'dom.push.enabled': false,
  'dom.push.connection.enabled': false,
  'browser.newtabpage.activity-stream.feeds.section.topstories': false,
  'browser.newtabpage.activity-stream.feeds.snippets': false,
  'browser.topsites.contile.enabled': false,
  'browser.contentblocking.report.monitor.enabled': false,
  'identity.fxaccounts.enabled': false,
  'network.sntp.pools': '127.0.0.1',
  // Test what users run. puppeteer's profile accepts every cookie
  // (cookieBehavior 0); stock Firefox partitions third-party cookies (5,
  // Total Cookie Protection), so that is put back. And CORS prefs stay at
  // their defaults: in particular network.cors_preflight.
  // authorization_covered_by_wildcard stays true, so, as in Chromium,
  // "Access-Control-Allow-Headers: *" covers Authorization although the
  // Fetch standard says it must not (the module never sends a literal "*"
  // there: it echoes the names asked for, which is right everywhere).
  'network.cookie.cookieBehavior': 5,
  'browser.contentblocking.features.standard': '-tp,tpPrivate,cookieBehavior5,cookieBehaviorPBM5,-cryptoTP,-fp',
};

const browser = await puppeteer.launch({
  browser: 'firefox',
  executablePath: process.env.FIREFOX || '/usr/bin/firefox-esr',
  headless: true,
  extraPrefsFirefox: prefs,
  env: {...process.env, MOZ_REMOTE_SETTINGS_DEVTOOLS: '1'},
  protocolTimeout: 30000,
});

const contexts = new Map(); // id -> {context, page}
let lastContext = 0;

async function handle(msg) {
  switch (msg.cmd) {
    case 'version':
      return browser.version();
    case 'open': {
      const context = await browser.createBrowserContext();
      const page = await context.newPage();
      await page.setViewport({width: 1000, height: 700});
      const id = 'c' + ++lastContext;
      const c = {context, page, logs: []};
      // puppeteer-core turns log.entryAdded into these two events: a
      // "javascript" entry (where Firefox's CORS messages arrive) into
      // pageerror, a console API call into console.
      page.on('pageerror', err => c.logs.push(err.message));
      page.on('console', msg => c.logs.push(msg.text()));
      contexts.set(id, c);
      return id;
    }
    case 'eval': {
      const c = get(msg.ctx);
      const {page} = c;
      c.logs = [];
      if (page.url() !== msg.page) {
        await page.goto(msg.page, {waitUntil: 'load', timeout: 15000});
      }
      return page.evaluate(msg.js);
    }
    case 'console':
      return get(msg.ctx).logs;
    case 'screenshot':
      return get(msg.ctx).page.screenshot({encoding: 'base64', fullPage: true});
    case 'close': {
      const {context} = get(msg.ctx);
      contexts.delete(msg.ctx);
      await context.close();
      return null;
    }
    default:
      throw new Error(`unknown command ${JSON.stringify(msg.cmd)}`);
  }
}

function get(id) {
  const c = contexts.get(id);
  if (!c) throw new Error(`no browser context ${JSON.stringify(id)}`);
  return c;
}

function reply(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

// Commands are handled one at a time, in order: the Go test waits for each
// answer before it sends the next.
const lines = createInterface({input: process.stdin});
for await (const line of lines) {
  if (!line.trim()) continue;
  let msg;
  try {
    msg = JSON.parse(line);
    reply({id: msg.id, value: (await handle(msg)) ?? null});
  } catch (err) {
    reply({id: msg?.id ?? 0, error: String(err?.message ?? err)});
  }
}
await browser.close();
