// Runs the portal's pages in real Chromium and checks them with axe-core against WCAG 2.1
// A/AA rules (the technical baseline of BITV 2.0), plus keyboard and no-JavaScript basics.
// Expects ALLMENDE_URL (a server started with --demo) and ALLMENDE_ADMIN_PASSWORD.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const base = process.env.ALLMENDE_URL ?? 'http://127.0.0.1:18300';
const password = process.env.ALLMENDE_ADMIN_PASSWORD;

let browser;
before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(async () => browser?.close());

async function axe(page) {
  await page.addScriptTag({ content: axeSource });
  return page.evaluate(async () => {
    const r = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return r.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
}

async function login(page) {
  await page.goto(base + '/login?next=/dashboard');
  await page.fill('#username', 'admin');
  await page.fill('#password', password);
  await page.click('form.form button[type=submit]');
}

// A draft dataset through the form, and a CSV uploaded to it; returns the resource page's URL.
async function draftWithFile(page, slug, title, description, file) {
  await page.goto(base + '/datasets/new');
  await page.fill('#title', title);
  await page.fill('#slug', slug);
  await page.fill('#description', description);
  await page.selectOption('#organization', 'stadt-aalen');
  await page.selectOption('#visibility', 'draft');
  await page.click('form.form > button[type=submit]');
  assert.match(page.url(), new RegExp(`/dataset/${slug}(\\?done=\\w+)?$`));
  const datasetPage = page.url();
  await page.goto(base + `/dataset/${slug}/resources/new`);
  await page.fill('#title', file.title);
  await page.setInputFiles('#file', { name: file.name, mimeType: 'text/csv', buffer: Buffer.from(file.content) });
  // With JavaScript the file goes by XMLHttpRequest, with a progress bar; then on as without.
  const upload = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/resources/new'));
  await page.click('form.form > button[type=submit]');
  assert.equal((await upload).resourceType(), 'xhr', 'the upload shows its progress');
  await page.waitForURL(/\/resource\//);
  return { datasetPage, resource: page.url() };
}

const publicPages = [
  '/', '/datasets', '/datasets?theme=ENVI&sort=title', '/dataset/baumkataster-aalen',
  '/dataset/lehrdaten-parkraum-bw', '/organizations', '/organization/stadt-aalen', '/login', '/api',
  '/about', '/impressum', '/datenschutz', '/gibt-es-nicht', '/?lang=en', '/datasets?lang=en',
  '/showcases', '/showcases/new?dataset=baumkataster-aalen', '/feedback', '/feedback?dataset=baumkataster-aalen&kind=error',
];

test('public pages have no WCAG 2.1 AA violations, in German and English', async () => {
  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  for (const path of publicPages) {
    await page.goto(base + path);
    const violations = await axe(page);
    assert.deepEqual(violations, [], `${path}: ${violations.join('\n')}`);
    const lang = await page.getAttribute('html', 'lang');
    assert.ok(['de', 'en'].includes(lang), `${path}: lang=${lang}`);
  }
  // A resource page, reached by following a link like a visitor would.
  await page.goto(base + '/dataset/baumkataster-aalen');
  await page.click('.resources h3 a');
  assert.deepEqual(await axe(page), []);
  await context.close();
});

test('pages read without JavaScript', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(base + '/datasets');
  await page.fill('#q', 'Parkhaus');
  await page.click('form.search button[type=submit]');
  assert.match(page.url(), /q=Parkhaus/);
  assert.ok(await page.isVisible('text=Parkhausbelegung Aalen'));
  // Facets are plain links: selecting one narrows the results without JavaScript.
  await page.click('.facet a[href*="theme=TRAN"]');
  assert.match(page.url(), /theme=TRAN/);
  assert.ok(await page.isVisible('.chips'));
  await page.click('text=Parkhausbelegung Aalen');
  assert.ok(await page.isVisible('h1:has-text("Parkhausbelegung Aalen")'));
  const href = await page.getAttribute('.resources a.button', 'href');
  assert.match(href, /\/api\/v1\/resources\/.+\/download$/);
  await context.close();
});

test('table preview: filter, sort, pages and chart without JavaScript; accessible', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(base + '/dataset/baumkataster-aalen');
  await page.click('.resources h3 a');
  // The demo's files are read in the background right after start.
  for (let i = 0; i < 100 && !(await page.isVisible('table.data-table')); i++) {
    await page.waitForTimeout(200);
    await page.reload();
  }
  const url = page.url().split('?')[0];
  const species = (await page.textContent('table.data-table tbody tr td:nth-child(2)')).trim();
  await page.fill('input[name="f.baumart"]', species);
  await page.click('.table-form button[type=submit]');
  assert.match(page.url(), /f\.baumart=/);
  const names = await page.$$eval('table.data-table tbody tr td:nth-child(2)', (tds) => tds.map((t) => t.textContent));
  assert.ok(names.length > 0 && names.every((n) => n === species), names.join(','));
  await page.goto(url);
  await page.click('table.data-table thead th:nth-child(4) a');
  assert.equal(await page.getAttribute('table.data-table thead th:nth-child(4)', 'aria-sort'), 'ascending');
  const years = await page.$$eval('table.data-table tbody tr td:nth-child(4)', (tds) => tds.map((t) => Number(t.textContent)));
  assert.deepEqual(years, [...years].sort((a, b) => a - b));
  await page.click('a[rel=next]');
  assert.match(page.url(), /page=2/);
  assert.match(page.url(), /sort=pflanzjahr/);
  await page.goto(url);
  await page.selectOption('select[name=chart_x]', 'baumart');
  await page.click('.chart-form button[type=submit]');
  assert.ok(await page.isVisible('#chart svg'));
  const svg = await page.getAttribute('a[href*="chart.svg"]', 'href');
  const res = await page.request.get(base + svg);
  assert.equal(res.headers()['content-type'], 'image/svg+xml');
  await context.close();
  const withJs = await browser.newContext({ bypassCSP: true });
  const p2 = await withJs.newPage();
  await p2.goto(url + '?chart_x=pflanzjahr&chart_agg=avg&chart_y=stammumfang_cm&page=2');
  assert.deepEqual(await axe(p2), []);
  await withJs.close();
});

test('keyboard: the first Tab reaches the skip link, which moves focus to the content', async () => {
  const page = await browser.newPage();
  await page.goto(base + '/');
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => document.activeElement?.getAttribute('href'));
  assert.equal(focused, '#inhalt');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none', 'focus is visible');
  await page.keyboard.press('Enter');
  const main = await page.evaluate(() => document.activeElement?.id);
  assert.equal(main, 'inhalt');
  await page.close();
});

test('publisher forms: login, dataset form with errors, dashboard are accessible', { skip: !password }, async () => {
  // The pages use no JavaScript; it is on only so that axe can run (CSP bypassed for it).
  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  await login(page);
  assert.match(page.url(), /\/dashboard$/);
  assert.deepEqual(await axe(page), []);
  await page.goto(base + '/datasets/new');
  assert.deepEqual(await axe(page), []);
  // Submitting the empty form shows messages tied to their fields.
  await page.click('form.form > button[type=submit]');
  assert.ok(await page.isVisible('#title-error'));
  assert.equal(await page.getAttribute('#title', 'aria-invalid'), 'true');
  assert.deepEqual(await axe(page), []);
  await page.goto(base + '/dataset/baumkataster-aalen/resources/new');
  assert.deepEqual(await axe(page), []);
  // The history, the audit log and a resource's form (metadata, new file, reading options).
  await page.goto(base + '/dataset/baumkataster-aalen/history');
  assert.ok(await page.isVisible('ol.history'));
  assert.deepEqual(await axe(page), []);
  await page.goto(base + '/audit');
  assert.ok(await page.isVisible('table.audit'));
  assert.deepEqual(await axe(page), []);
  // Members and one's own API tokens (a new one shown once).
  await page.goto(base + '/organization/stadt-aalen/members');
  assert.deepEqual(await axe(page), []);
  // An invitation: the admin gets a one-time link, the invited person sets a password with it.
  const invitee = `neu${Date.now()}`;
  await page.fill('#invite-name', invitee);
  await page.fill('#invite-display_name', 'Neue Kollegin');
  await page.click('form[action$="/invite"] button[type=submit]');
  const link = await page.inputValue('#invitation-link');
  assert.match(link, /\/invite\/[0-9a-f]{64}$/);
  assert.deepEqual(await axe(page), []);
  const invited = await browser.newContext({ bypassCSP: true });
  const newcomer = await invited.newPage();
  await newcomer.goto(link);
  assert.deepEqual(await axe(newcomer), []);
  await newcomer.fill('#password', 'Ein Satz aus vier Wörtern');
  await newcomer.fill('#password_again', 'Ein Satz aus vier Wörtern');
  await newcomer.click('form.form button[type=submit]');
  assert.match(newcomer.url(), /\/account\?done=welcome$/);
  assert.ok(await newcomer.isVisible('p.notice[role=status]'));
  assert.ok((await newcomer.locator('h1').innerText()).includes(invitee));
  await invited.close();
  await page.goto(base + '/account');
  await page.fill('#name', `Browser-Test ${Date.now()}`);
  await page.click('form[action="/account/tokens"] button[type=submit]');
  assert.match(await page.locator('code.secret').innerText(), /^alm_/);
  assert.deepEqual(await axe(page), []);
  await page.goto(base + '/dataset/baumkataster-aalen');
  await page.click('a[href*="/resource/"]');
  await page.click('a[href*="/resource/"][href$="/edit"]');
  assert.ok(await page.isVisible('#reread-h'));
  assert.deepEqual(await axe(page), []);
  await context.close();
});

test('publishing safely: findings, the gate, acknowledgements and the release checklist in the browser', { skip: !password }, async () => {
  const context = await browser.newContext({ bypassCSP: true, locale: 'de-DE' });
  const page = await context.newPage();
  await login(page);
  // A draft dataset made through the form, with a CSV with personal data.
  const slug = `antragsliste-${Date.now()}`;
  const { datasetPage, resource } = await draftWithFile(page, slug, 'Antragsliste Test',
    'Eine Liste von Anträgen, wie sie nicht veröffentlicht werden darf.', {
      title: 'Anträge',
      name: 'antraege.csv',
      content: 'Name;Vorname;E-Mail;IBAN\r\nMustermann;Max;max.mustermann@example.org;DE89 3704 0044 0532 0130 00\r\n'
        + 'Schmidt;Anna;anna.schmidt@example.org;DE02120300000000202051\r\nYilmaz;Mehmet;m.yilmaz@example.org;DE02500105170137075030\r\n',
    });
  // The dataset's page offers the release checklist beside the visibility, and the quality score.
  await page.goto(datasetPage);
  assert.ok(await page.isVisible('#release_no_personal_data'));
  assert.ok(await page.isVisible('#quality-h'));
  assert.deepEqual(await axe(page), []);
  await page.goto(resource);
  // The findings appear once the file is read (the page works without JavaScript: reload).
  for (let i = 0; i < 100 && !(await page.isVisible('#privacy-h')); i++) {
    await page.waitForTimeout(200);
    await page.reload();
  }
  assert.ok(await page.isVisible('text=M•••••••••'), 'masked examples');
  // (The preview above shows the organization its own draft; the findings mask every value.)
  assert.ok(!(await page.locator('section.privacy').innerText()).includes('Mustermann'), 'no full value in the findings');
  assert.deepEqual(await axe(page), []);
  // Publishing with the checklist ticked is refused: the findings stand beside the visibility.
  const publish = async () => {
    await page.goto(base + `/dataset/${slug}`);
    await page.selectOption('#visibility', 'public');
    for (const item of ['no_personal_data', 'no_secrets', 'rights_cleared', 'licence_applicable']) {
      await page.check(`#release_${item}`);
    }
    await page.click('form[action$="/visibility"] button[type=submit]');
  };
  await publish();
  assert.ok(await page.isVisible('text=Spalte „IBAN“'), 'the findings beside the visibility');
  assert.deepEqual(await axe(page), []);
  // An admin acknowledges each high finding with a reason, with the keyboard only.
  await page.goto(resource);
  for (let i = 0; i < 10 && (await page.locator('.ack-form textarea').count()) > 0; i++) {
    await page.locator('.ack-form textarea').first().focus();
    await page.keyboard.type('Testdaten mit erfundenen Personen');
    await page.keyboard.press('Tab');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  }
  assert.equal(await page.locator('.ack-form').count(), 0);
  assert.ok(await page.isVisible('text=Testdaten mit erfundenen Personen'));
  assert.deepEqual(await axe(page), []);
  // Now it goes public.
  await publish();
  assert.match(page.url(), new RegExp(`/dataset/${slug}(\\?done=\\w+)?$`));
  const api = await (await context.request.get(base + `/api/v1/datasets/${slug}`)).json();
  assert.equal(api.visibility, 'public');
  assert.ok(api.released_at, 'the first publication is recorded');
  await context.close();
});

test('publishing safely: the publisher replaces a file with personal data by a clean one, then publishes', { skip: !password }, async () => {
  const context = await browser.newContext({ bypassCSP: true, locale: 'de-DE' });
  const page = await context.newPage();
  await login(page);
  const slug = `wahlhelfer-${Date.now()}`;
  const { resource } = await draftWithFile(page, slug, 'Wahlhelfende je Wahlbezirk',
    'Zahl der Wahlhelfenden je Wahlbezirk der Stadt Aalen.', {
      title: 'Wahlhelfende',
      name: 'wahlhelfende.csv',
      content: 'Wahlbezirk;Name;Vorname;Telefon\r\n101;Mustermann;Max;07361 52-1234\r\n'
        + '102;Schmidt;Anna;0151 2345678\r\n103;Yilmaz;Mehmet;+49 7321 98765\r\n',
    });
  const id = resource.split('/resource/')[1].split('?')[0];
  const privacy = async () => (await context.request.get(base + `/api/v1/resources/${id}/privacy`)).json();
  for (let i = 0; i < 100 && !(await privacy()).checked; i++) await page.waitForTimeout(200);
  assert.equal((await privacy()).clean, false);
  // The resource page leads to its form: metadata, a new file, reading options.
  await page.goto(resource);
  await page.click(`a[href$="/resource/${id}/edit"]`);
  assert.ok(await page.isVisible('#replace-h'));
  assert.ok(await page.isVisible('#reread-h'));
  assert.deepEqual(await axe(page), []);
  // The same table without the persons: replaced, read and checked as version 2.
  await page.setInputFiles('#file', {
    name: 'wahlhelfende.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from('Wahlbezirk;Wahlhelfende\r\n101;12\r\n102;9\r\n103;11\r\n'),
  });
  await page.click('form[action$="/file"] button[type=submit]');
  await page.waitForURL(/done=file_queued/);
  assert.ok(await page.isVisible('p.notice[role=status]'), 'a message after the action');
  assert.deepEqual(await axe(page), []);
  let p = await privacy();
  for (let i = 0; i < 100 && !(p.version === 2 && p.checked); i++) {
    await page.waitForTimeout(200);
    p = await privacy();
  }
  assert.equal(p.version, 2);
  assert.equal(p.clean, true, JSON.stringify(p));
  // Published through the checklist, without any acknowledgement.
  await page.goto(base + `/dataset/${slug}`);
  await page.selectOption('#visibility', 'public');
  for (const item of ['no_personal_data', 'no_secrets', 'rights_cleared', 'licence_applicable']) {
    await page.check(`#release_${item}`);
  }
  await page.click('form[action$="/visibility"] button[type=submit]');
  assert.match(page.url(), new RegExp(`/dataset/${slug}(\\?done=\\w+)?$`));
  const api = await (await context.request.get(base + `/api/v1/datasets/${slug}`)).json();
  assert.equal(api.visibility, 'public');
  // The public reads the clean table, never the first file.
  const anonymous = await browser.newContext();
  const records = await (await anonymous.request.get(base + `/api/v1/resources/${id}/records`)).json();
  assert.ok(!JSON.stringify(records).includes('Mustermann'));
  assert.equal((await anonymous.request.get(base + `/api/v1/resources/${id}/versions/1/source`)).status(), 404);
  await anonymous.close();
  await context.close();
});

// Moves the focus with Tab until `selector` has it, which shows that it is reachable by
// keyboard, in the page's own order.
async function tabTo(page, selector, max = 300) {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`${selector} is not reached with Tab`);
}

// A file through the keyboard: Space on the focused file input opens the chooser.
async function chooseFile(page, selector, name, content) {
  await tabTo(page, selector);
  // On a busy machine the first Space can come before the input takes keys (seen once in CI);
  // pressing it again is still the keyboard opening the chooser.
  for (let attempt = 1; ; attempt++) {
    try {
      const [chooser] = await Promise.all([page.waitForEvent('filechooser', { timeout: 10000 }), page.keyboard.press('Space')]);
      await chooser.setFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(content) });
      return;
    } catch (e) {
      if (attempt === 3) throw e;
      await tabTo(page, selector);
    }
  }
}

test('publishing safely with the keyboard only: findings, refusal, a clean file, the checklist', { skip: !password }, async () => {
  const context = await browser.newContext({ locale: 'de-DE' });
  const page = await context.newPage();
  await page.goto(base + '/login?next=/dashboard');
  await tabTo(page, '#username');
  await page.keyboard.type('admin');
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await Promise.all([page.waitForURL(base + '/dashboard'), page.keyboard.press('Enter')]);
  // A draft dataset through its form (the organization's defaults stay as they are).
  const slug = `meldeliste-${Date.now()}`;
  await page.goto(base + '/datasets/new');
  for (const [field, text] of [['#title', 'Meldeliste Tastatur'], ['#slug', slug],
    ['#description', 'Eine Liste, die so nicht veröffentlicht werden darf.']]) {
    await tabTo(page, field);
    await page.keyboard.type(text);
  }
  await tabTo(page, 'form.form > button[type=submit]');
  await Promise.all([page.waitForURL(new RegExp(`/dataset/${slug}(\\?done=\\w+)?$`)), page.keyboard.press('Enter')]);
  // A CSV with personal data.
  await page.goto(base + `/dataset/${slug}/resources/new`);
  await tabTo(page, '#title');
  await page.keyboard.type('Meldungen');
  await chooseFile(page, '#file', 'meldungen.csv', 'Name;Vorname;Telefon;E-Mail\r\n'
    + 'Mustermann;Max;07361 52-1234;max.mustermann@example.org\r\n'
    + 'Schmidt;Anna;0151 2345678;anna.schmidt@example.org\r\nYilmaz;Mehmet;+49 7321 98765;m.yilmaz@example.org\r\n');
  await tabTo(page, 'form.form > button[type=submit]');
  await Promise.all([page.waitForURL(/\/resource\//), page.keyboard.press('Enter')]);
  const resource = page.url().split('?')[0];
  const id = resource.split('/resource/')[1];
  const privacy = async () => (await context.request.get(base + `/api/v1/resources/${id}/privacy`)).json();
  for (let i = 0; i < 100 && !(await privacy()).checked; i++) await page.waitForTimeout(200);
  // The file read to its end: a page showing "being read" reloads itself when it is done,
  // which would take the keyboard focus away in the middle of the steps below.
  const reading = async () => ['pending', 'running'].includes(
    (await (await context.request.get(base + `/api/v1/resources/${id}/table`)).json()).status);
  for (let i = 0; i < 150 && await reading(); i++) await page.waitForTimeout(200);
  await page.reload();
  assert.ok(await page.isVisible('#privacy-h'), 'the findings are on the resource page');
  // Public through the visibility form and its checklist: refused, the findings beside it.
  const publish = async () => {
    await page.goto(base + `/dataset/${slug}`);
    await tabTo(page, '#visibility');
    await page.keyboard.press('Home'); // „öffentlich“ is the first choice
    assert.equal(await page.inputValue('#visibility'), 'public');
    for (const item of ['no_personal_data', 'no_secrets', 'rights_cleared', 'licence_applicable']) {
      await tabTo(page, `#release_${item}`);
      await page.keyboard.press('Space');
    }
    await tabTo(page, 'form[action$="/visibility"] button[type=submit]');
    // Refused: the form again at /visibility; published: the dataset's page with a message.
    await Promise.all([page.waitForURL(/(\/visibility|done=visibility)$/), page.keyboard.press('Enter')]);
  };
  await publish();
  const refusal = await page.locator('.error[role=alert]').innerText();
  assert.ok(refusal.includes('Vorname') && refusal.includes('Telefon'), refusal);
  // The file replaced by one without the persons, through the resource's form.
  await page.goto(resource);
  await tabTo(page, `a[href$="/resource/${id}/edit"]`);
  await Promise.all([page.waitForURL(/\/edit$/), page.keyboard.press('Enter')]);
  await chooseFile(page, '#file', 'meldungen.csv', 'Kategorie;Meldungen\r\nLärm;12\r\nMüll;9\r\nStraßenschaden;11\r\n');
  await tabTo(page, 'form[action$="/file"] button[type=submit]');
  await Promise.all([page.waitForURL(/done=file_queued/), page.keyboard.press('Enter')]);
  let p = await privacy();
  for (let i = 0; i < 100 && !(p.version === 2 && p.checked); i++) {
    await page.waitForTimeout(200);
    p = await privacy();
  }
  assert.equal(p.clean, true, JSON.stringify(p));
  await publish();
  assert.match(page.url(), new RegExp(`/dataset/${slug}\\?done=visibility$`));
  const api = await (await context.request.get(base + `/api/v1/datasets/${slug}`)).json();
  assert.equal(api.visibility, 'public');
  assert.ok(api.released_at);
  await context.close();
});

test('geodata: a GeoJSON resource gets a map with every feature, also without tiles; accessible', async () => {
  const context = await browser.newContext({ bypassCSP: true, locale: 'de-DE' });
  const page = await context.newPage();
  // CI has no internet: tiles fail, and the features must still be drawn.
  await page.route('**/tile.openstreetmap.org/**', (r) => r.abort());
  await page.goto(base + '/dataset/ladesaeulen-aalen');
  await page.click('a[href*="/resource/"]');
  await page.waitForSelector('#map[data-features]');
  const id = page.url().split('/resource/')[1].split('?')[0];
  const fc = await (await context.request.get(base + `/api/v1/resources/${id}/export/geojson`)).json();
  assert.equal(fc.type, 'FeatureCollection');
  assert.equal(await page.getAttribute('#map', 'data-features'), String(fc.features.length));
  assert.ok(fc.features.length > 0);
  assert.match(await page.locator('#map-status').innerText(), /Objekte auf der Karte/);
  assert.deepEqual(await axe(page), []);
  // Without JavaScript the attribute table, with a readable place per row, stays.
  const plain = await browser.newContext({ javaScriptEnabled: false, locale: 'de-DE' });
  const p2 = await plain.newPage();
  await p2.goto(page.url());
  assert.ok(await p2.isHidden('#map'));
  assert.ok((await p2.locator('td', { hasText: /^\d+,\d+° N, \d+,\d+° O$/ }).count()) > 0, 'places in the table');
  await plain.close();
  // The tree register is a CSV with Breitengrad/Längengrad: its dataset page has the map too.
  await page.goto(base + '/dataset/baumkataster-aalen');
  await page.waitForSelector('#map[data-features]');
  const trees = await (await context.request.get(base + '/api/v1/datasets/baumkataster-aalen')).json();
  const table = await (await context.request.get(base + `/api/v1/resources/${trees.resources[0].id}/table`)).json();
  assert.equal(await page.getAttribute('#map', 'data-features'), String(table.rows));
  assert.deepEqual(await axe(page), []);
  await context.close();
});

test('geodata: a large layer is drawn view by view, counted in groups that zoom in; accessible', { skip: !password }, async () => {
  const context = await browser.newContext({ bypassCSP: true, locale: 'de-DE' });
  const page = await context.newPage();
  await page.route('**/tile.openstreetmap.org/**', (r) => r.abort());
  await login(page);
  // 6,000 street lights with coordinate columns: more than a page sends to the browser whole.
  let csv = 'Nr;Leuchtmittel;Breitengrad;Längengrad\r\n';
  for (let i = 0; i < 6000; i++) {
    const lat = (48.80 + Math.floor(i / 100) * 0.001).toFixed(4).replace('.', ',');
    const lon = (10.05 + (i % 100) * 0.001).toFixed(4).replace('.', ',');
    csv += `${i + 1};${i % 3 ? 'LED' : 'Natriumdampf'};${lat};${lon}\r\n`;
  }
  const { resource } = await draftWithFile(page, `laternen-${Date.now()}`, 'Straßenbeleuchtung',
    'Leuchtenstandorte im Stadtgebiet', { title: 'Leuchten (CSV)', name: 'leuchten.csv', content: csv });
  const id = resource.split('/resource/')[1].split('?')[0];
  const table = async () => (await context.request.get(base + `/api/v1/resources/${id}/table`)).json();
  for (let i = 0; i < 150 && (await table()).status !== 'done'; i++) await page.waitForTimeout(200);
  await page.goto(resource);
  await page.waitForSelector('#map[data-clusters]');
  assert.ok(Number(await page.getAttribute('#map', 'data-clusters')) > 0, 'groups drawn');
  assert.equal(await page.getAttribute('#map', 'data-features'), '6000');
  assert.match(await page.locator('#map-status').innerText(), /6\.000 Objekte in diesem Ausschnitt/);
  const groups = page.locator('.map-cluster');
  assert.ok((await groups.count()) > 0);
  assert.deepEqual(await axe(page), []);
  // A click on a group zooms in, until the single lights are there with their attributes.
  for (let i = 0; i < 6 && (await page.getAttribute('#map', 'data-clusters')) !== '0'; i++) {
    const before = await page.getAttribute('#map', 'data-features');
    await page.locator('.map-cluster').first().click();
    await page.waitForFunction((b) => document.getElementById('map').dataset.features !== b, before);
  }
  assert.equal(await page.getAttribute('#map', 'data-clusters'), '0', 'single features at last');
  assert.match(await page.locator('#map-status').innerText(), /Objekte auf der Karte/);
  await context.close();
});

test('OGC API pages: a browser walks from the landing page to one feature, without JavaScript; accessible', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const visited = [];
  // A browser's own Accept header asks for the pages; no `f=html` needed at the start.
  await page.goto(base + '/ogc');
  assert.ok(await page.isVisible('h1:has-text("OGC API")'));
  visited.push(page.url());
  await page.click('main a[href="/ogc/collections?f=html"]');
  visited.push(page.url());
  await page.locator('table a[href*="/items?f=html"]').first().click();
  assert.match(page.url(), /\/items\?f=html/);
  assert.ok(await page.isVisible('table.data-table'));
  visited.push(page.url());
  await page.locator('table.data-table tbody th a').first().click();
  assert.match(page.url(), /\/items\/1\?f=html/);
  assert.ok(await page.isVisible('pre.geometry'));
  visited.push(page.url());
  // Its JSON twin is a link away.
  const json = await page.getAttribute('main a[href*="f=json"]', 'href');
  const res = await context.request.get(base + json);
  assert.equal(res.headers()['content-type'], 'application/geo+json');
  await context.close();
  const withJs = await browser.newContext({ bypassCSP: true });
  const p2 = await withJs.newPage();
  for (const url of visited) {
    await p2.goto(url);
    assert.deepEqual(await axe(p2), [], url);
  }
  await withJs.close();
});

test('a web app on another origin reads records and searches the CKAN API; a token is not sent', async () => {
  // Another origin: localhost instead of 127.0.0.1, on a port of its own.
  const app = `<!doctype html><html lang="de"><title>App</title><body><output id="out">…</output><script>
    (async () => {
      const base = ${JSON.stringify(base)};
      const out = {};
      const ds = await (await fetch(base + '/api/v1/datasets/baumkataster-aalen')).json();
      const table = ds.resources.find((r) => r.format === 'CSV');
      const recs = await (await fetch(base + '/api/v1/resources/' + table.id + '/records?limit=5&where=' +
        encodeURIComponent('pflanzjahr >= 1990'))).json();
      out.records = recs.records.length;
      out.total = recs.total;
      const ckan = await (await fetch(base + '/api/3/action/package_search', { method: 'POST',
        headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ q: 'Baum', rows: 3 }) })).json();
      out.ckan = ckan.success && ckan.result.count > 0;
      try {
        await fetch(base + '/api/v1/me', { headers: { Authorization: 'Bearer alm_nicht-meins' } });
        out.token = 'sent';
      } catch (e) {
        out.token = 'blocked';
      }
      document.getElementById('out').textContent = JSON.stringify(out);
    })().catch((e) => { document.getElementById('out').textContent = 'error: ' + e; });
  </script></body></html>`;
  const server = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(app);
  });
  await new Promise((r) => server.listen(0, 'localhost', r));
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    await page.goto(`http://localhost:${server.address().port}/`);
    await page.waitForFunction(() => document.getElementById('out').textContent !== '…');
    const text = await page.textContent('#out');
    assert.ok(!text.startsWith('error'), text);
    const out = JSON.parse(text);
    assert.equal(out.records, 5);
    assert.ok(out.total > 5, text);
    assert.equal(out.ckan, true);
    assert.equal(out.token, 'blocked', 'a stranger page may not send a token');
  } finally {
    await context.close();
    server.close();
  }
});

test('phones: no page scrolls sideways at 320 and 390 px; on the search page results come before the filters', async () => {
  const context = await browser.newContext({ bypassCSP: true, locale: 'de-DE', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await page.route('**/tile.openstreetmap.org/**', (r) => r.abort());
  // Every kind of public page, with the resource pages reached through their datasets.
  const pages = [...publicPages, '/datasets?q=Parkhaus', '/ogc', '/ogc/collections'];
  for (const slug of ['baumkataster-aalen', 'bevoelkerung-aalen-stadtbezirke', 'bebauungsplaene-aalen', 'haushaltsplan-aalen-2025']) {
    await page.goto(base + `/dataset/${slug}`);
    pages.push(`/dataset/${slug}`);
    const href = await page.getAttribute('.resources h3 a', 'href');
    pages.push(href);
  }
  const collections = await (await context.request.get(base + '/ogc/collections?f=json')).json();
  pages.push(`/ogc/collections/${collections.collections[0].id}/items?f=html`);
  for (const width of [390, 320]) {
    await page.setViewportSize({ width, height: 800 });
    for (const path of pages) {
      await page.goto(base + path);
      const { scroll, client, wide } = await page.evaluate(() => {
        const root = document.documentElement;
        // The elements that stick out, to say what to fix.
        const wide = [...document.querySelectorAll('body *')]
          .filter((e) => e.getBoundingClientRect().right > root.clientWidth + 1 && !e.closest('.table-scroll, pre, .leaflet-container'))
          .slice(0, 5)
          .map((e) => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : ''}`);
        return { scroll: root.scrollWidth, client: root.clientWidth, wide };
      });
      assert.ok(scroll <= client, `${path} at ${width}px: ${scroll} > ${client} (${wide.join(', ')})`);
    }
  }
  // Search on a phone: the first result before the filters, which open from the "Filter" link.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(base + '/datasets');
  const firstResult = await page.locator('.results .card').first().boundingBox();
  assert.ok(firstResult && firstResult.y < 844, `the first result is on the first screen (${firstResult?.y})`);
  assert.ok(await page.isHidden('#filters'), 'filters wait behind their link');
  await page.click('.filter-toggle a');
  assert.ok(await page.isVisible('#filters .facet a'));
  await page.click('#filters .facet a[href*="theme="]');
  assert.match(page.url(), /theme=/);
  assert.ok(await page.isVisible('.chips'));
  assert.match(await page.locator('.filter-toggle a').innerText(), /Filter \(1\)/);
  assert.deepEqual(await axe(page), []);
  await context.close();
});

test('embeds: the "Einbetten" code shows a chart on another origin; other pages refuse to be framed', async () => {
  const context = await browser.newContext({ locale: 'de-DE' });
  const page = await context.newPage();
  await page.goto(base + '/dataset/bevoelkerung-aalen-stadtbezirke');
  await page.click('.resources h3 a');
  const code = await page.inputValue('#embed-chart');
  assert.match(code, /^<iframe src="http[^"]+\/embed\/dataset\/bevoelkerung-aalen-stadtbezirke\/resource\/[^"]+\/chart"/);
  const blog = `<!doctype html><html lang="de"><title>Blog</title><body><h1>Mein Blog</h1>${code}
    <iframe id="plain" title="Datensatzseite" src="${base}/dataset/bevoelkerung-aalen-stadtbezirke"></iframe></body></html>`;
  const server = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(blog);
  });
  await new Promise((r) => server.listen(0, 'localhost', r));
  try {
    await page.goto(`http://localhost:${server.address().port}/`);
    const embed = page.frameLocator('iframe[src*="/embed/"]');
    await embed.locator('#chart svg').waitFor();
    assert.match(await embed.locator('#chart figcaption').innerText(), /Einwohner gesamt/);
    assert.match(await embed.locator('.embed-footer').innerText(), /Lizenz/);
    assert.match(await embed.locator('.embed-title a').getAttribute('href'), /\/dataset\/bevoelkerung-aalen-stadtbezirke\/resource\//);
    // The ordinary page is not shown inside the other site.
    await page.waitForTimeout(500);
    const plain = page.frames().find((f) => f !== page.mainFrame() && !f.url().includes('/embed/'));
    const shown = plain ? await plain.evaluate(() => !!document.querySelector('.site-header')).catch(() => false) : false;
    assert.equal(shown, false, 'a normal page refuses framing');
  } finally {
    await context.close();
    server.close();
  }
});

test('showcases: a visitor proposes one (the form needs no JavaScript); errors are accessible; the demo shows approved ones', async () => {
  const context = await browser.newContext({ bypassCSP: true, locale: 'de-DE' });
  const page = await context.newPage();
  await page.goto(base + '/');
  assert.ok(await page.isVisible('#showcases-h'), 'the home page shows showcases');
  await page.goto(base + '/dataset/baumkataster-aalen');
  assert.ok(await page.isVisible('#showcases-h + ul .card'), 'the dataset page shows the one using it');
  await page.click('a[href="/showcases/new?dataset=baumkataster-aalen"]');
  assert.deepEqual(await page.$$eval('#datasets option:checked', (o) => o.map((x) => x.value)), ['baumkataster-aalen']);
  await page.fill('#title', 'Ab');
  await page.fill('#url', 'https://example.org/app');
  await page.fill('#description', 'zu kurz');
  await page.fill('#submitter_name', 'Familie Test');
  await page.click('form.form button[type=submit]');
  assert.equal(await page.getAttribute('#title', 'aria-invalid'), 'true');
  assert.ok(await page.isVisible('.error[role=alert]'));
  assert.deepEqual(await axe(page), []);
  await page.fill('#title', 'Spielplatzfinder Aalen');
  await page.fill('#description', 'Eine App, die Familien den nächsten Spielplatz mit Baumschatten zeigt.');
  await page.click('form.form button[type=submit]');
  assert.match(page.url(), /\/showcases\?done=showcase_proposed$/);
  assert.ok(await page.isVisible('text=Ihr Vorschlag wird geprüft'));
  assert.ok(!(await page.isVisible('text=Spielplatzfinder Aalen')), 'not shown before approval');
  await context.close();
});

test('moderators: the feedback inbox and the showcase review are accessible', { skip: !password }, async () => {
  const context = await browser.newContext({ bypassCSP: true, locale: 'de-DE' });
  const page = await context.newPage();
  await login(page);
  await page.goto(base + '/feedback/inbox');
  assert.ok(await page.isVisible('text=doppelte Nummer'), 'the demo feedback is there');
  assert.deepEqual(await axe(page), []);
  await page.goto(base + '/showcases/review');
  assert.deepEqual(await axe(page), []);
  await context.close();
});

test('vector basemap: with map_style_url the features lie on a MapLibre map drawn from that style, under our CSP', { skip: !process.env.ALLMENDE_BIN }, async () => {
  // The style's server, another origin: a background colour only (CI has no internet).
  const style = { version: 8, sources: {}, layers: [{ id: 'hintergrund', type: 'background', paint: { 'background-color': '#ffe4b5' } }] };
  let styleRequests = 0;
  const styleServer = createServer((req, res) => {
    styleRequests += 1;
    res.writeHead(200, { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*' });
    res.end(JSON.stringify(style));
  });
  await new Promise((r) => styleServer.listen(0, 'localhost', r));
  const dir = mkdtempSync(join(tmpdir(), 'allmende-style-'));
  const port = 18311;
  const portal = spawn(process.env.ALLMENDE_BIN, ['serve', '--demo', '--data-dir', dir, '--bind', `127.0.0.1:${port}`], {
    env: { ...process.env, ALLMENDE_MAP_STYLE_URL: `http://localhost:${styleServer.address().port}/style.json`, ALLMENDE_LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  const gl = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist', '--no-first-run'],
  });
  try {
    const base2 = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 300; i++) {
      const ok = await fetch(base2 + '/readyz').then((r) => r.ok).catch(() => false);
      if (ok) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const context = await gl.newContext({ locale: 'de-DE', viewport: { width: 1000, height: 900 } });
    const page = await context.newPage();
    const refused = [];
    page.on('console', (m) => { if (/Content.Security.Policy/i.test(m.text())) refused.push(m.text()); });
    await page.goto(base2 + '/dataset/ladesaeulen-aalen');
    const href = await page.getAttribute('.resources h3 a', 'href');
    for (let i = 0; i < 100; i++) {
      await page.goto(base2 + href);
      if (await page.$('#map')) break;
      await page.waitForTimeout(300);
    }
    await page.waitForSelector('#map[data-features]');
    await page.waitForFunction(() => document.getElementById('map').dataset.basemap);
    assert.equal(await page.getAttribute('#map', 'data-basemap'), 'vector');
    assert.ok(styleRequests > 0, 'the style was fetched');
    // The style's background is painted under the features (a corner away from them).
    await page.waitForTimeout(1000);
    const shot = (await page.locator('#map').screenshot()).toString('base64');
    const pixel = await page.evaluate(async (b64) => {
      const img = new Image();
      img.src = 'data:image/png;base64,' + b64;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width; c.height = img.height;
      const g = c.getContext('2d');
      g.drawImage(img, 0, 0);
      return Array.from(g.getImageData(8, img.height - 8, 1, 1).data.slice(0, 3));
    }, shot);
    const want = [0xff, 0xe4, 0xb5];
    assert.ok(pixel.every((v, i) => Math.abs(v - want[i]) < 12), `background ${pixel}`);
    assert.deepEqual(refused, [], 'nothing refused by the Content-Security-Policy');
    await context.close();
  } finally {
    await gl.close();
    portal.kill();
    styleServer.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('follow by e-mail: the form on a dataset page and the confirmation link work without JavaScript and are axe-clean', { skip: !process.env.ALLMENDE_BIN }, async () => {
  // A relay that takes every mail (SMTP's minimal command set): the portal's real outbox.
  const mails = [];
  const relay = createTcpServer((socket) => {
    let buffer = '';
    let data = null;
    socket.write('220 relay.test ESMTP\r\n');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      let i;
      while ((i = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        if (data !== null) {
          if (line === '.') { mails.push(data.join('\n')); data = null; socket.write('250 queued\r\n'); } else { data.push(line.startsWith('.') ? line.slice(1) : line); }
        } else if (/^(EHLO|HELO)/i.test(line)) socket.write('250-relay.test\r\n250 8BITMIME\r\n');
        else if (/^DATA/i.test(line)) { data = []; socket.write('354 go ahead\r\n'); }
        else if (/^QUIT/i.test(line)) { socket.end('221 bye\r\n'); }
        else socket.write('250 OK\r\n');
      }
    });
  });
  await new Promise((r) => relay.listen(0, '127.0.0.1', r));
  const dir = mkdtempSync(join(tmpdir(), 'allmende-follow-'));
  const port = 18312;
  const portal = spawn(process.env.ALLMENDE_BIN, ['serve', '--demo', '--data-dir', dir, '--bind', `127.0.0.1:${port}`], {
    env: { ...process.env, ALLMENDE_SMTP_URL: `smtp://127.0.0.1:${relay.address().port}`, ALLMENDE_MAIL_FROM: 'Offene Daten <daten@example.org>', ALLMENDE_LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  // The visitor's browser runs no JavaScript; a second one runs axe on the same pages.
  const context = await browser.newContext({ locale: 'de-DE', javaScriptEnabled: false });
  const checker = await browser.newContext({ locale: 'de-DE', bypassCSP: true });
  try {
    const base2 = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 300; i++) {
      const ok = await fetch(base2 + '/readyz').then((r) => r.ok).catch(() => false);
      if (ok) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const page = await context.newPage();
    const audit = await checker.newPage();
    await audit.goto(base2 + '/dataset/baumkataster-aalen');
    assert.deepEqual(await axe(audit), []);
    await page.goto(base2 + '/dataset/baumkataster-aalen');
    await page.fill('#follow-email', 'anna@example.org');
    await page.click('.follow-form button[type=submit]');
    await page.waitForURL(/done=follow_requested/);
    assert.ok(await page.isVisible('text=Bitte bestätigen Sie'), 'the notice says what happens next');
    for (let i = 0; i < 100 && mails.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(mails.length, 1, 'one confirmation mail');
    const body = mails[0].replace(/=\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
    const link = body.match(/http\S+\/confirm/)[0];
    await audit.goto(link);
    assert.ok(await audit.isVisible('text=Ja, per E-Mail folgen'), 'opening the link only asks');
    assert.deepEqual(await axe(audit), []);
    await page.goto(link);
    await page.click('button[type=submit]');
    assert.ok(await page.isVisible('text=Bestätigt'));
    await audit.goto(link);
    assert.ok(await audit.isVisible('text=Bestätigt'));
    assert.deepEqual(await axe(audit), []);
    await audit.goto(base2 + '/dataset/baumkataster-aalen/follow');
    assert.deepEqual(await axe(audit), []);
  } finally {
    await context.close();
    await checker.close();
    portal.kill();
    relay.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
