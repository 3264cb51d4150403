"""End-to-end check of relman's web dashboard (/ui) in a real browser: Playwright driving Debian's
Chromium against a relman-server binary whose content is made through the REST API (images pushed
with skopeo into a real docker-registry). Each check prints PASS or FAIL with what was seen; the
exit status is 1 when any failed. One screenshot per page goes to --screenshots.

    python check.py --binary target/release/relman-server --screenshots target/ui-screenshots
                                                            (playwright installed)
"""

from __future__ import annotations

import argparse
import functools
import http.client
import http.server
import os
import re
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "scripts", "reliability"))
sys.path.insert(0, os.path.join(ROOT, "scripts", "attestation"))

import harness  # noqa: E402  the reliability tests' server process and HTTP client
import oci  # noqa: E402  the attestation check's docker-registry
import seed  # noqa: E402  images and API content
from seed import Failed, call, expect  # noqa: E402
from playwright.sync_api import Error as PlaywrightError  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

CHROMIUM = os.environ.get("UI_CHROMIUM", "/usr/bin/chromium")
ENVS = ["development", "staging", "production"]
TIMEOUT_MS = 15_000
SCALE_RELEASES, SCALE_ENVIRONMENTS, SCALE_DEPLOYMENTS = 1000, 10, 300
PAGE_SIZE = 25
TIMED_RUNS = 5


def squeeze(text: str, n: int = 600) -> str:
    return harness.excerpt(text or "", n)


# ---------------------------------------------------------------------------------------------
# A browser tab on the dashboard


class UI:
    """One browser context (its own cookies) and page on a server's dashboard."""

    def __init__(self, st: dict, base: str | None = None):
        self.st = st
        self.base = base or st["server"].base
        self.ctx = st["browser"].new_context(viewport={"width": 1360, "height": 900})
        self.ctx.set_default_timeout(TIMEOUT_MS)
        self.ctx.set_default_navigation_timeout(TIMEOUT_MS)
        st["contexts"].append(self.ctx)
        self.page = self.ctx.new_page()
        self.dialogs: list[str] = []

        def on_dialog(d):
            self.dialogs.append(f"{d.type}: {d.message}")
            d.dismiss()

        self.page.on("dialog", on_dialog)

    # -- where we are

    def path(self) -> str:
        u = urllib.parse.urlsplit(self.page.url)
        return u.path + ("?" + u.query if u.query else "")

    def html(self, selector: str = "body", n: int = 700) -> str:
        try:
            loc = self.page.locator(selector)
            if loc.count() == 0:
                body = self.page.locator("body").inner_html()
                return f"(no {selector}) page: " + squeeze(body, n)
            return squeeze(loc.first.evaluate("e => e.outerHTML"), n)
        except PlaywrightError as e:
            return f"(unreadable: {e})"

    def where(self) -> str:
        return f"on {self.path()}"

    # -- reading

    def one(self, selector: str):
        loc = self.page.locator(selector)
        n = loc.count()
        expect(n == 1, f"{selector}: {n} elements {self.where()} (want one); page: "
                       f"{self.html('body')}")
        return loc

    def none(self, selector: str) -> None:
        n = self.page.locator(selector).count()
        expect(n == 0, f"{selector}: {n} elements {self.where()} (want none): "
                       f"{self.html(selector)}")

    def text(self, selector: str) -> str:
        return self.one(selector).inner_text().strip()

    def attr(self, selector: str, name: str) -> str | None:
        return self.one(selector).get_attribute(name)

    def attrs(self, selector: str, name: str) -> list[str | None]:
        return [e.get_attribute(name) for e in self.page.locator(selector).all()]

    # -- moving

    def goto(self, path: str, status: int = 200):
        r = self.page.goto(self.base + path)
        got = r.status if r else None
        expect(got == status, f"GET {path} -> {got} (want {status}), now {self.where()}: "
                              f"{self.html('body')}")
        return r

    def submit(self, form: str, button: str = "button, input[type=submit]", method: str = "POST"):
        """Clicks the form's button; returns the form request's own response (for a POST, the 303
        before the redirect is followed) once the resulting page has loaded."""
        btn = self.one(form).locator(button).first
        expect(btn.count() == 1, f"{form} has no {button} {self.where()}: {self.html(form)}")
        with self.page.expect_response(
                lambda r: r.request.method == method and r.request.is_navigation_request()) as info:
            with self.page.expect_navigation():
                btn.click()
        return info.value

    def click_link(self, selector: str) -> None:
        link = self.page.locator(selector)
        expect(link.count() >= 1, f"no {selector} {self.where()}: {self.html('body')}")
        with self.page.expect_navigation():
            link.first.click()

    def shot(self, name: str) -> None:
        self.page.screenshot(path=os.path.join(self.st["shots"], name), full_page=True)
        self.st["screenshots"].append(name)

    def sign_in(self, token: str) -> None:
        self.goto("/ui/sign-in")
        self.one("form#sign-in input[name=token]").fill(token)
        r = self.submit("form#sign-in")
        expect(r.status == 303 and self.path() == "/ui",
               f"POST /ui/sign-in with a valid token -> {r.status}, now {self.where()} (want 303 "
               f"to /ui): {self.html('body')}")

    def cookie(self) -> dict | None:
        for c in self.ctx.cookies():
            if c["name"] == "relman_session":
                return c
        return None

    def csrf(self) -> str:
        value = self.one("form#sign-out input[name=_csrf]").get_attribute("value") or ""
        expect(value, f"form#sign-out carries an empty _csrf: {self.html('form#sign-out')}")
        return value


def raw_get(base: str, path: str, cookie: str | None = None) -> tuple[int, dict, bytes, float]:
    """One GET without following redirects; (status, headers, body, seconds)."""
    u = urllib.parse.urlsplit(base)
    headers = {"Accept": "text/html"}
    if cookie:
        headers["Cookie"] = f"relman_session={cookie}"
    t0 = time.perf_counter()
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=harness.HTTP_TIMEOUT)
    try:
        c.request("GET", path, headers=headers)
        r = c.getresponse()
        body = r.read()
    finally:
        c.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, body, time.perf_counter() - t0


# ---------------------------------------------------------------------------------------------
# Page readers that several checks share


def digests_in(text: str) -> set[str]:
    return set(re.findall(r"sha256:[0-9a-f]{64}", text or ""))


def matrix_row(ui: UI, release: str) -> dict[str, str]:
    """env -> status of the overview's row for `release`."""
    row = ui.one(f'table#matrix tr[data-release="{release}"]')
    cells = row.locator("td.state").all()
    return {c.get_attribute("data-env"): c.get_attribute("data-status") for c in cells}


def api_state(st: dict, release_id: str, client=None) -> dict[str, str]:
    client = client or st["client"]
    state = call(client, "GET", f"/releases/{release_id}/state", status=(200,)).json()
    names = {v: k for k, v in st["env_ids"].items()}
    return {names.get(e["environmentId"], e["environmentId"]): e["status"]
            for e in state["environments"]}


def expect_matrix_agrees(st: dict, ui: UI, releases: list[dict]) -> None:
    for rel in releases:
        got, want = matrix_row(ui, rel["name"]), api_state(st, rel["id"])
        row = f'table#matrix tr[data-release="{rel["name"]}"]'
        expect(got == want, f"overview row {rel['name']}: td.state {got}, the API's "
                            f"/releases/{rel['name']}/state says {want}: {ui.html(row)}")


def expect_digests_listed(ui: UI, rel: dict) -> None:
    """The promote confirmation lists exactly the release's member digests."""
    want = {m["componentName"]: m["digest"] for m in rel["components"]}
    items = ui.page.locator("ul#digests li[data-component]").all()
    got = {li.get_attribute("data-component"): li.inner_text() for li in items}
    expect(set(got) == set(want), f"ul#digests lists components {sorted(got)}, the release has "
                                  f"{sorted(want)}: {ui.html('ul#digests')}")
    for comp, digest in want.items():
        expect(digest in got[comp], f"ul#digests li[data-component={comp}] does not show "
                                    f"{digest}: {squeeze(got[comp])}")
    shown = digests_in(ui.one("ul#digests").inner_text())
    expect(shown == set(want.values()), f"ul#digests shows digests {sorted(shown)}, the API's "
                                        f"members are {sorted(want.values())}")


def promote_in_ui(ui: UI, rel: dict, env: str, outcome: str | None = "succeeded") -> None:
    """Release page → promote form → confirmation → confirm → the environment page, then the
    in-progress deployment's outcome button."""
    ui.goto(f"/ui/releases/{rel['id']}")
    ui.one("form#promote select[name=environment]").select_option(env)
    r = ui.submit("form#promote", method="GET")
    expect(r.status == 200, f"GET promote confirmation -> {r.status}: {ui.html('body')}")
    expect_confirmation(ui, rel, env)
    confirm(ui, rel, env)
    if outcome:
        complete(ui, rel, env, outcome)


def expect_confirmation(ui: UI, rel: dict, env: str) -> None:
    u = urllib.parse.urlsplit(ui.page.url)
    query = urllib.parse.parse_qs(u.query)
    expect(u.path in (f"/ui/releases/{rel['id']}/promote", f"/ui/releases/{rel['name']}/promote")
           and query.get("environment") == [env],
           f"the promote form led to {ui.path()} (want /ui/releases/{rel['id']}/promote"
           f"?environment={env})")
    expect_digests_listed(ui, rel)
    hidden = ui.one("form#confirm-promote input[name=environment]").get_attribute("value")
    expect(hidden == env, f"form#confirm-promote carries environment={hidden!r}, want {env}")


def confirm(ui: UI, rel: dict, env: str) -> None:
    r = ui.submit("form#confirm-promote")
    expect(r.status == 303 and ui.path() == f"/ui/environments/{env}",
           f"POST confirm-promote of {rel['name']} to {env} -> {r.status}, now {ui.where()} "
           f"(want 303 to /ui/environments/{env}): {ui.html('body')}")
    first = ui.page.locator("ol#timeline li.deployment").first
    expect(first.count() == 1, f"no ol#timeline li.deployment {ui.where()}: {ui.html('body')}")
    got = (first.get_attribute("data-release"), first.get_attribute("data-status"))
    expect(got == (rel["name"], "in_progress"),
           f"the newest deployment on {ui.path()} is {got}, want ({rel['name']}, in_progress): "
           f"{ui.html('ol#timeline')}")


def complete(ui: UI, rel: dict, env: str, outcome: str) -> None:
    sel = (f'ol#timeline li.deployment[data-status=in_progress][data-release="{rel["name"]}"] '
           f'form.complete')
    r = ui.submit(sel, f"button[name=outcome][value={outcome}]")
    expect(r.status == 303 and ui.path() == f"/ui/environments/{env}",
           f"POST complete ({outcome}) -> {r.status}, now {ui.where()} (want 303 back to "
           f"/ui/environments/{env})")
    first = ui.page.locator("ol#timeline li.deployment").first
    got = (first.get_attribute("data-release"), first.get_attribute("data-status"))
    expect(got == (rel["name"], outcome), f"after {outcome}, the newest deployment is {got}: "
                                          f"{ui.html('ol#timeline')}")


def deployments(st: dict, env: str, client=None) -> dict:
    client = client or st["client"]
    return call(client, "GET", f"/deployments?environmentId={env}&pageSize=100",
                status=(200,)).json()


# ---------------------------------------------------------------------------------------------
# Checks


def check_walkthrough(st: dict) -> None:
    server, client, v1, v11 = st["server"], st["client"], st["v1"], st["v11"]
    ui = UI(st)
    st["admin"] = ui
    for path in ("/ui", "/ui/components", "/ui/audit", f"/ui/releases/{v11['id']}",
                 "/ui/environments/development"):
        status, headers, _, _ = raw_get(server.base, path)
        expect(status == 303 and headers.get("location", "").endswith("/ui/sign-in"),
               f"GET {path} without a session -> {status} Location {headers.get('location')!r} "
               f"(want 303 to /ui/sign-in)")
    ui.page.goto(server.base + "/ui")
    expect(ui.path() == "/ui/sign-in", f"opening /ui landed {ui.where()}, want /ui/sign-in")
    ui.one("form#sign-in input[name=token]")
    ui.one("form#sign-in input[name=_csrf][type=hidden]")
    expect(ui.attr("form#sign-in", "method").lower() == "post",
           f"form#sign-in: {ui.html('form#sign-in')}")
    ui.shot("01-sign-in.png")

    # A wrong token: 401 with an error shown.
    ui.one("form#sign-in input[name=token]").fill("relman_pat_" + "0" * 64)
    r = ui.submit("form#sign-in")
    expect(r.status == 401 and ui.page.locator(".error").count() >= 1,
           f"POST /ui/sign-in with a wrong token -> {r.status}, .error elements "
           f"{ui.page.locator('.error').count()} (want 401 and an .error): {ui.html('body')}")
    ui.sign_in(server.token)

    # The overview: three environments in promotion order, both shop releases, nothing deployed.
    for href in ("/ui", "/ui/components", "/ui/audit"):
        expect(ui.page.locator(f'a[href="{href}"]').count() >= 1,
               f"no a[href=\"{href}\"] in the admin's header: {ui.html('header')}")
    ui.one("form#sign-out")
    heads = ui.attrs("table#matrix th[data-env]", "data-env")
    expect(heads == ENVS, f"table#matrix columns {heads}, want {ENVS}: {ui.html('table#matrix')}")
    rows = ui.attrs("table#matrix tr[data-release]", "data-release")
    expect("shop-v1.0.0" in rows and "shop-v1.1.0" in rows
           and rows.index("shop-v1.1.0") < rows.index("shop-v1.0.0"),
           f"table#matrix rows {rows}: want shop-v1.1.0 before shop-v1.0.0 (newest first)")
    for name in ("shop-v1.0.0", "shop-v1.1.0"):
        got = matrix_row(ui, name)
        expect(got == {e: "not_deployed" for e in ENVS}, f"row {name}: {got} (want not_deployed "
                                                         f"everywhere)")
    cards = ui.attrs("section#environments article.env", "data-env")
    expect(cards == ENVS, f"section#environments articles {cards}, want {ENVS}")
    for env in ENVS:
        current = ui.text(f'article.env[data-env="{env}"] .current')
        expect("nothing deployed" in current.lower(),
               f"article.env[data-env={env}] .current says {current!r}, want 'nothing deployed'")
    ui.shot("02-overview.png")

    # The release page agrees with the API.
    ui.click_link('table#matrix tr[data-release="shop-v1.1.0"] a.release')
    expect(ui.path() == f"/ui/releases/{v11['id']}",
           f"a.release of shop-v1.1.0 led {ui.where()}, want /ui/releases/{v11['id']}")
    expect(ui.text("h1") == "Shop 1.1.0", f"h1 {ui.text('h1')!r}, want the display name "
                                          f"'Shop 1.1.0'")
    got = ui.attr("#release-status", "data-status")
    expect(got == "ready", f"#release-status data-status {got!r}, want ready")
    digest = ui.text("#content-digest")
    expect(digests_in(digest) == {v11["digest"]}, f"#content-digest shows {digest!r}, the API's "
                                                  f"digest is {v11['digest']}")
    members = {m["componentName"]: m for m in v11["components"]}
    shown = ui.attrs("table#members tbody tr[data-component]", "data-component")
    expect(sorted(shown) == sorted(members), f"table#members rows {shown}, API members "
                                             f"{sorted(members)}")
    for name, m in members.items():
        row = f'table#members tbody tr[data-component="{name}"]'
        for cell, want in (("td.digest", m["digest"]), ("td.tag", m["tag"]),
                           ("td.version", m["version"])):
            seen = ui.text(f"{row} {cell}")
            ok = {"td.digest": lambda: digests_in(seen) == {want},
                  "td.tag": lambda: seen == want, "td.version": lambda: want in seen}[cell]()
            expect(ok, f"{row} {cell} shows {seen!r}, the API says {want!r}")
        ui.one(f"{row} td.platforms")
    envelope = call(client, "GET", f"/releases/{v11['id']}/attestation", status=(200,)).json()
    keyid = envelope["signatures"][0]["keyid"]
    verified = ui.attr("#signature", "data-verified")
    expect(verified == "true" and keyid in ui.text("#signature"),
           f"#signature data-verified={verified!r} (want true), keyid {keyid} in its text: "
           f"{ui.html('#signature')}")
    link = ui.page.locator("table#assets a.download")
    expect(link.count() == 1, f"table#assets a.download: {link.count()} (one asset uploaded): "
                              f"{ui.html('table#assets')}")
    href = link.first.get_attribute("href")
    got = ui.page.request.get(urllib.parse.urljoin(ui.page.url, href))
    expect(got.status == 200 and got.body() == seed.ASSET,
           f"a.download {href} -> {got.status}, {len(got.body())} bytes (want 200 and the "
           f"{len(seed.ASSET)} bytes uploaded)")
    expect(ui.page.locator("#notes em").count() >= 1, f"#notes: the Markdown *checkout* is not "
                                                      f"emphasised: {ui.html('#notes')}")
    cmp_text = ui.text("#compare")
    expect("api" in cmp_text and "web" in cmp_text,
           f"#compare (vs shop-v1.0.0, both members changed) names neither api nor web: "
           f"{ui.html('#compare')}")
    state = {e: s for e, s in zip(ui.attrs("table#state tr[data-env]", "data-env"),
                                  ui.attrs("table#state tr[data-env]", "data-status"))}
    expect(state == api_state(st, v11["id"]), f"table#state {state}, API "
                                              f"{api_state(st, v11['id'])}")
    options = ui.attrs("form#promote select[name=environment] option", "value")
    expect(set(ENVS) <= set(options), f"form#promote offers {options}, want {ENVS}")
    ui.one("form#deprecate input[name=reason]")
    ui.none("form#mark-ready")
    ui.shot("03-release.png")

    # Promote to development: the confirmation lists the API's digests; confirm; succeed.
    ui.one("form#promote select[name=environment]").select_option("development")
    r = ui.submit("form#promote", method="GET")
    expect(r.status == 200, f"GET the promote confirmation -> {r.status}: {ui.html('body')}")
    expect_confirmation(ui, v11, "development")
    ui.shot("04-promote-confirm.png")
    confirm(ui, v11, "development")
    api_dep = deployments(st, "development")["data"][0]
    expect(api_dep["releaseName"] == "shop-v1.1.0" and api_dep["status"] == "in_progress",
           f"the API's newest development deployment: {api_dep}")
    entry = ui.page.locator("ol#timeline li.deployment").first.inner_text()
    expect(api_dep["startedBy"] in entry, f"the timeline entry does not say who started it "
                                          f"({api_dep['startedBy']}): {squeeze(entry)}")
    ui.one("ol#timeline li.deployment[data-status=in_progress] form.complete")
    ui.shot("05-environment.png")
    ui.goto("/ui")
    running = ui.page.locator("section#attention li.deployment[data-status=in_progress]")
    expect(running.count() == 1, f"while shop-v1.1.0 is being deployed section#attention has "
                                 f"{running.count()} li.deployment[data-status=in_progress]: "
                                 f"{ui.html('section#attention')}")
    expect_matrix_agrees(st, ui, [v11])
    ui.goto("/ui/environments/development")
    complete(ui, v11, "development", "succeeded")
    api_dep = call(client, "GET", f"/deployments/{api_dep['id']}", status=(200,)).json()
    expect(api_dep["status"] == "succeeded", f"the API's deployment after succeeded: {api_dep}")
    ui.click_link('header a[href="/ui"], nav a[href="/ui"]')
    expect(ui.path() == "/ui", f"the nav link to /ui led {ui.where()}")
    expect(matrix_row(ui, "shop-v1.1.0").get("development") == "deployed",
           f"overview row shop-v1.1.0: {matrix_row(ui, 'shop-v1.1.0')} (want development "
           f"deployed)")
    current = ui.text('article.env[data-env="development"] .current')
    expect("shop-v1.1.0" in current or "Shop 1.1.0" in current,
           f"article.env[data-env=development] .current says {current!r}, want shop-v1.1.0")
    expect(ui.text('article.env[data-env="development"] .since'),
           f"article.env[data-env=development] .since is empty: "
           f"{ui.html('article.env[data-env=development]')}")
    expect_matrix_agrees(st, ui, [v1, v11])
    ui.shot("06-overview-deployed.png")
    cur = call(client, "GET", "/environments/development/current", status=(200,)).json()
    expect(cur["name"] == "shop-v1.1.0", f"GET /environments/development/current: {cur['name']}")

    # shop-v1.0.0 over it, then roll back to shop-v1.1.0 from the environment page.
    promote_in_ui(ui, v1, "development")
    ui.one("#current")
    expect("shop-v1.0.0" in ui.text("#current") or "Shop 1.0.0" in ui.text("#current"),
           f"#current after shop-v1.0.0 succeeded: {ui.html('#current')}")
    back = 'ol#timeline li.deployment[data-status=succeeded][data-release="shop-v1.1.0"] a.rollback'
    expect(ui.page.locator(back).count() >= 1, f"no {back}: {ui.html('ol#timeline')}")
    ui.none('ol#timeline li.deployment[data-release="shop-v1.0.0"] a.rollback')
    ui.shot("07-environment-rollback.png")
    ui.click_link(back)
    expect_confirmation(ui, v11, "development")
    confirm(ui, v11, "development")
    complete(ui, v11, "development", "succeeded")
    cur = call(client, "GET", "/environments/development/current", status=(200,)).json()
    expect(cur["name"] == "shop-v1.1.0", f"after the rollback the API's current release in "
                                         f"development is {cur['name']}, want shop-v1.1.0")
    ui.goto("/ui")
    expect_matrix_agrees(st, ui, [v1, v11])
    got = matrix_row(ui, "shop-v1.0.0").get("development")
    expect(got == "superseded", f"shop-v1.0.0 in development after the rollback: {got}")

    # A failed deployment to production is listed for attention.
    promote_in_ui(ui, v11, "production", outcome="failed")
    dep = deployments(st, "production")["data"][0]
    expect(dep["status"] == "failed", f"the API's production deployment: {dep}")
    ui.goto("/ui")
    failed = ui.page.locator("section#attention li.deployment[data-status=failed]")
    expect(failed.count() >= 1, f"section#attention after a failed deployment to production: "
                                f"{ui.html('section#attention')}")
    expect_matrix_agrees(st, ui, [v1, v11])
    ui.goto("/ui/releases/no-such-release", status=404)
    print(f"    3 deployments to development and a failed one to production through the "
          f"dashboard; API current in development {cur['name']}; {len(ui.dialogs)} dialogs")


def check_component_and_sync(st: dict) -> None:
    ui, client, images = st["admin"], st["client"], st["images"]
    ui.goto("/ui/components")
    hrefs = ui.attrs("a.component", "href")
    for name in ("api", "web"):
        expect(f"/ui/components/{name}" in hrefs, f"a.component links {hrefs}: no "
                                                  f"/ui/components/{name}")
    ui.click_link('a.component[href="/ui/components/api"]')
    expect(ui.path() == "/ui/components/api", f"a.component for api led {ui.where()}")
    want = {v["tag"] for v in call(client, "GET", "/components/api/versions?limit=100",
                                   status=(200,)).json()}
    tags = set(ui.attrs("table#versions tbody tr[data-tag]", "data-tag"))
    expect(want <= tags, f"table#versions shows tags {sorted(tags)}, the API has {sorted(want)}")
    yanked = 'table#versions tbody tr[data-tag="v0.9.0"]'
    cls = ui.attr(yanked, "class") or ""
    expect("yanked" in cls.split(), f"the yanked v0.9.0's row has class {cls!r}: "
                                    f"{ui.html(yanked)}")
    ui.one("table#aliases")
    ui.one("#last-sync")
    ui.shot("08-component.png")

    # The registry changes: a new tag, and one removed; the dashboard's sync finds both.
    images.push("acme/api", "v1.2.0")
    images.delete("acme/api", "v0.8.0")
    r = ui.submit("form#sync")
    m = re.fullmatch(r"/ui/sync-jobs/([^/?#]+)", ui.path())
    expect(r.status == 303 and m, f"POST /ui/components/api/sync -> {r.status}, now {ui.where()} "
                                  f"(want 303 to /ui/sync-jobs/ID)")
    job_id = m.group(1)
    seen, progress, deadline = [], False, time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            status = ui.page.get_attribute("#sync-job", "data-status", timeout=2000)
            progress = progress or ui.page.locator("#sync-job progress, progress").count() > 0
        except PlaywrightError:  # the page reloading itself
            status = None
        if status and (not seen or seen[-1] != status):
            seen.append(status)
        if status in ("succeeded", "failed"):
            break
        time.sleep(0.3)
    expect(seen and seen[-1] == "succeeded", f"#sync-job data-status went {seen} within 30s "
                                             f"(want succeeded): {ui.html('#sync-job')}")
    job = call(client, "GET", f"/sync-jobs/{job_id}", status=(200,)).json()
    expect(job["status"] == "succeeded", f"GET /sync-jobs/{job_id}: {job}")
    ui.shot("09-sync-job.png")
    ui.goto("/ui/components/api")
    ui.one('table#versions tbody tr[data-tag="v1.2.0"]')
    removed = 'table#versions tbody tr[data-tag="v0.8.0"]'
    gone = ui.page.locator(removed)
    expect(gone.count() == 1 and "gone" in (gone.first.get_attribute("class") or "").split(),
           f"v0.8.0, removed from the registry: {gone.count()} rows, {ui.html(removed)} "
           f"(want one with class gone)")
    print(f"    sync job {job_id}: data-status {' -> '.join(seen)}"
          f"{', <progress> shown' if progress else ''}; result {job.get('result', {}).get('added')}"
          f" added")


def check_audit(st: dict) -> None:
    ui, client = st["admin"], st["client"]
    ui.goto("/ui/audit")
    for name in ("resource_type", "action", "since", "until"):
        ui.one(f"form#audit-filters [name={name}]")
    expect((ui.attr("form#audit-filters", "method") or "get").lower() == "get",
           f"form#audit-filters: {ui.html('form#audit-filters')}")
    rows = ui.page.locator("table#audit tbody tr")
    everything = rows.count()
    body = ui.one("table#audit tbody").inner_text()
    expect(everything > 0 and "deployment.start" in body,
           f"table#audit has {everything} rows, 'deployment.start' "
           f"{'present' if 'deployment.start' in body else 'absent'}: {ui.html('table#audit')}")
    ui.shot("10-audit.png")
    for field, value, api in (("action", "deployment.start", "action"),
                              ("resource_type", "environment", "resourceType")):
        ui.goto("/ui/audit")
        ui.one(f"form#audit-filters [name={field}]").fill(value)
        ui.submit("form#audit-filters", method="GET")
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(ui.page.url).query)
        expect(q.get(field) == [value], f"the filter form led to {ui.path()}")
        want = call(client, "GET", f"/audit-events?{api}={value}&pageSize=100",
                    status=(200,)).json()["meta"]["totalCount"]
        got = ui.page.locator("table#audit tbody tr")
        texts = [t for t in got.all_inner_texts()]
        expect(len(texts) == want and want < everything,
               f"filtered by {field}={value}: {len(texts)} rows, the API counts {want} "
               f"(of {everything} unfiltered rows)")
        expect(all(value in t for t in texts),
               f"filtered by {field}={value}, rows without it: "
               f"{[squeeze(t, 120) for t in texts if value not in t][:3]}")
        if field == "action":
            ui.shot("11-audit-filtered.png")
    print(f"    {everything} rows unfiltered; action=deployment.start and "
          f"resource_type=environment match the API's counts")


def check_sign_out(st: dict) -> None:
    server = st["server"]
    ui = UI(st)
    ui.sign_in(server.token)
    old = (ui.cookie() or {}).get("value")
    expect(old, f"no relman_session cookie after signing in: {ui.ctx.cookies()}")
    r = ui.submit("form#sign-out")
    expect(r.status == 303 and ui.path() == "/ui/sign-in",
           f"POST /ui/sign-out -> {r.status}, now {ui.where()} (want 303 to /ui/sign-in)")
    ui.page.goto(server.base + "/ui")
    expect(ui.path() == "/ui/sign-in", f"/ui after signing out landed {ui.where()}")
    # Signing out ends the session on the server: a copy of the cookie taken before is dead too.
    status, headers, _, _ = raw_get(server.base, "/ui", cookie=old)
    expect(status == 303 and headers.get("location") == "/ui/sign-in",
           f"GET /ui with a copy of the signed-out cookie -> {status} "
           f"{headers.get('location')} (want 303 to /ui/sign-in)")
    print("    a copy of the cookie taken before signing out is refused (303 to /ui/sign-in)")


def check_cookie_flags(st: dict) -> None:
    ui = st["admin"]
    c = ui.cookie()
    expect(c is not None, f"no relman_session in the admin's cookies: {ui.ctx.cookies()}")
    flags = {k: c.get(k) for k in ("httpOnly", "sameSite", "secure", "path")}
    want = {"httpOnly": True, "sameSite": "Strict", "secure": False, "path": "/ui"}
    expect(flags == want, f"relman_session flags {flags}, want {want}")
    ui.goto("/ui")
    seen = ui.page.evaluate("document.cookie")
    expect("relman_session" not in seen, f"document.cookie shows the session: {seen!r}")
    print(f"    relman_session: {flags}")


def check_xss(st: dict) -> None:
    ui = UI(st)
    ui.sign_in(st["server"].token)
    rel = st["xss_release"]
    ui.goto(f"/ui/releases/{rel['name']}")
    h1 = ui.text("h1")
    expect(h1 == seed.XSS_NAME, f"h1 shows {h1!r}, want the literal {seed.XSS_NAME!r}: "
                                f"{ui.html('h1')}")
    ui.page.wait_for_timeout(300)
    xss = ui.page.evaluate("typeof window.__xss === 'undefined' ? null : window.__xss")
    expect(xss is None, f"window.__xss = {xss!r} after loading the page: a script ran")
    expect(not ui.dialogs, f"dialogs fired: {ui.dialogs}")
    bold = ui.page.locator("#notes strong")
    expect(bold.count() >= 1 and "bold" in bold.first.inner_text(),
           f"#notes strong: {bold.count()} (want the Markdown **bold**): {ui.html('#notes')}")
    for bad in ("script", "img[onerror]", "[onerror]", 'a[href^="javascript:" i]'):
        n = ui.page.locator(f"#notes {bad}").count()
        expect(n == 0, f"#notes contains {n} {bad}: {ui.html('#notes', 1200)}")
    inline = ui.page.evaluate(
        "[...document.scripts].filter(s => s.text.includes('__xss')).length")
    expect(inline == 0, f"{inline} <script> elements on the page carry the release's script")
    ui.one("form#mark-ready")
    ui.none("form#promote")
    ui.shot("12-xss-release.png")
    ui.goto("/ui")
    ui.one(f'table#matrix tr[data-release="{rel["name"]}"]')
    xss = ui.page.evaluate("typeof window.__xss === 'undefined' ? null : window.__xss")
    expect(xss is None and not ui.dialogs, f"on the overview window.__xss = {xss!r}, dialogs "
                                           f"{ui.dialogs}")
    print("    the name shows as text, notes sanitised (script, onerror, javascript: link "
          "removed), **bold** kept; draft offers form#mark-ready")


class Attacker:
    """Another origin on loopback serving pages that post to the dashboard."""

    def __init__(self, tmp: str):
        self.dir = os.path.join(tmp, "attacker")
        os.makedirs(self.dir, exist_ok=True)
        handler = functools.partial(QuietHandler, directory=self.dir)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def page(self, name: str, html: str) -> None:
        with open(os.path.join(self.dir, name), "w") as f:
            f.write(html)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def check_csrf(st: dict) -> None:
    ui, server, v1 = st["admin"], st["server"], st["v1"]
    ui.goto("/ui")
    url = f"{server.base}/ui/releases/{v1['id']}/promote"
    seen = []
    for form, why in (({"environment": "staging"}, "no _csrf"),
                      ({"environment": "staging", "_csrf": "wrong"}, "_csrf=wrong")):
        r = ui.page.request.post(url, form=form, max_redirects=0)
        text = r.text()
        expect(r.status == 403 and "CSRF" in text,
               f"POST {url} with {why} -> {r.status} (want 403 naming CSRF): {squeeze(text)}")
        seen.append(f"{why}: {r.status}")
    attacker = Attacker(st["tmp"])
    try:
        attacker.page("promote.html", f"""<!doctype html><title>win a prize</title>
<form id=f method=POST action="{url}"><input type=hidden name=environment value=staging></form>
<script>document.getElementById('f').submit()</script>""")
        for host in ("localhost", "127.0.0.1"):
            origin = f"http://{host}:{attacker.port}"
            with ui.page.expect_response(lambda r: r.url.startswith(url)
                                         and r.request.method == "POST") as info:
                ui.page.goto(origin + "/promote.html")
            r = info.value
            ui.page.wait_for_load_state()
            expect(r.status in (303, 401, 403) and "/ui/environments/" not in
                   (r.headers.get("location") or ""),
                   f"a form on {origin} posting to the promote URL -> {r.status} "
                   f"{r.headers.get('location')!r}, now {ui.where()}")
            seen.append(f"form from {origin}: {r.status}"
                        + (f" -> {r.headers.get('location')}" if r.status == 303 else ""))
    finally:
        attacker.close()
    deps = deployments(st, "staging")
    expect(deps["meta"]["totalCount"] == 0,
           f"staging has deployments after the refused posts: "
           f"{[(d['releaseName'], d['startedBy']) for d in deps['data']]}")
    print("    " + "; ".join(seen) + "; no staging deployment")


def check_read_token(st: dict) -> None:
    server, client, v1 = st["server"], st["client"], st["v1"]
    ui = UI(st)
    ui.sign_in(st["read_token"])
    ui.none('a[href="/ui/audit"]')
    ui.goto(f"/ui/releases/{v1['id']}")
    for form in ("form#promote", "form#deprecate", "form#mark-ready"):
        ui.none(form)
    ui.shot("13-read-only-release.png")
    ui.goto("/ui/components/api")
    ui.none("form#sync")
    ui.goto("/ui/environments/development")
    ui.none("form.complete")
    ui.none("a.rollback")
    csrf = ui.csrf()
    refused = []
    for path, form in ((f"/ui/releases/{v1['id']}/promote", {"environment": "staging"}),
                       (f"/ui/releases/{v1['id']}/deprecate", {"reason": "read-only try"}),
                       ("/ui/components/api/sync", {})):
        r = ui.page.request.post(server.base + path, form={**form, "_csrf": csrf},
                                 max_redirects=0)
        expect(r.status == 403, f"POST {path} from a read-scope session with its own _csrf -> "
                                f"{r.status} (want 403): {squeeze(r.text())}")
        refused.append(path.rsplit("/", 1)[-1])
    ui.goto("/ui/audit", status=403)
    expect(deployments(st, "staging")["meta"]["totalCount"] == 0, "staging has a deployment")
    got = call(client, "GET", f"/releases/{v1['id']}", status=(200,)).json()
    expect(got["status"] != "deprecated", "shop-v1.0.0 was deprecated by a read-scope session")
    # The _csrf used above was the session's real one: signing out with it works.
    ui.goto("/ui")
    r = ui.page.request.post(server.base + "/ui/sign-out", form={"_csrf": csrf}, max_redirects=0)
    expect(r.status == 303, f"POST /ui/sign-out with the read session's _csrf -> {r.status}: so "
                            f"the 403s above may have been CSRF refusals: {squeeze(r.text())}")
    # Revoking the token ends its sessions: a second session, then DELETE /tokens/{id}.
    other = UI(st)
    other.sign_in(st["read_token"])
    cookie = other.cookie()["value"]
    call(client, "DELETE", f"/tokens/{st['read_token_id']}", status=(204,))
    status, headers, _, _ = raw_get(server.base, "/ui", cookie=cookie)
    expect(status == 303 and headers.get("location", "").endswith("/ui/sign-in"),
           f"GET /ui with the session of a revoked token -> {status} "
           f"{headers.get('location')!r} (want 303 to /ui/sign-in)")
    print(f"    no write forms; {', '.join(refused)} refused 403 with a valid _csrf; audit 403; "
          f"revoking the token ended its session")


# -- scale ------------------------------------------------------------------------------------


def start_scale_server(st: dict) -> None:
    """A second server, seeded in a thread while the other checks run: 10 environments, 1,000
    releases and a few hundred deployments. Started from the main thread: the server is tied to
    the thread that starts it (it dies with it)."""
    server = harness.Server(st["binary"], harness.SqliteBackend(), "ui-scale")
    # Seeding speed only; the figures are taken on the same server.
    server.env = {"RELMAN_SQLITE_SYNCHRONOUS": "normal"}
    st["closing"].append(server)
    server.start()
    st["scale_thread"] = threading.Thread(target=seed_scale_server, args=(st, server),
                                          daemon=True)
    st["scale_thread"].start()


def seed_scale_server(st: dict, server: harness.Server) -> None:
    try:
        t0 = time.monotonic()
        data = seed.seed_scale(server.client(), SCALE_RELEASES, SCALE_ENVIRONMENTS,
                               SCALE_DEPLOYMENTS)
        data["seconds"] = time.monotonic() - t0
        data["server"] = server
        st["scale"] = data
    except BaseException as e:  # noqa: BLE001 reported by the scale check
        st["scale_error"] = e


def check_scale(st: dict) -> None:
    if "scale_thread" in st:
        st["scale_thread"].join(150)
    if "scale_error" in st:
        e = st["scale_error"]
        raise Failed(f"seeding the second server failed: {e}" if isinstance(e, Failed)
                     else "".join(traceback.format_exception(e, limit=4)))
    expect(not st["scale_thread"].is_alive(), "seeding the second server took over 150s")
    data = st["scale"]
    server = data["server"]
    print(f"    seeded {len(data['environments'])} environments, {len(data['releases'])} releases,"
          f" {len(data['deployments'])} deployments in {data['seconds']:.1f}s")
    ui = UI(st, base=server.base)
    ui.sign_in(server.token)
    pages = SCALE_RELEASES // PAGE_SIZE
    for page, prev, nxt in ((1, False, True), (pages, True, False)):
        ui.goto("/ui" if page == 1 else f"/ui?page={page}")
        heads = ui.attrs("table#matrix th[data-env]", "data-env")
        expect(heads == data["environments"], f"page {page}: columns {heads}")
        n = ui.page.locator("table#matrix tr[data-release]").count()
        expect(n == PAGE_SIZE, f"overview page {page}: {n} release rows, want {PAGE_SIZE}")
        pager = ui.text("nav.pager")
        expect(f"page {page} of {pages}" in pager.lower(),
               f"nav.pager on page {page} says {pager!r}, want 'page {page} of {pages}'")
        for rel, want in (("prev", prev), ("next", nxt)):
            links = ui.attrs(f"nav.pager a[rel={rel}]", "href")
            target = page - 1 if rel == "prev" else page + 1
            wanted = f"one to page={target}" if want else "none"
            expect(bool(links) == want and (not want or f"page={target}" in links[0]),
                   f"page {page}: a[rel={rel}] {links} (want {wanted})")
        if page == 1:
            ui.shot("14-overview-at-scale.png")
            # Ten environments fit a laptop window: the matrix needs no sideways scroll.
            need, have = ui.page.evaluate(
                "(() => { const w = document.querySelector('div.matrix-wrap');"
                " return [w.scrollWidth, w.clientWidth]; })()")
            expect(need <= have, f"with {len(heads)} environments the matrix needs {need} px and "
                                 f"has {have} px in a 1360 px window: it scrolls sideways")
            print(f"    the matrix with {len(heads)} environments needs {need} px of its {have} px "
                  f"(window 1360): no sideways scroll")
    ui.goto("/ui/audit")
    pager = ui.text("nav.pager")
    m = re.search(r"page 1 of (\d+)", pager.lower())
    expect(m and int(m.group(1)) > 1 and ui.page.locator("nav.pager a[rel=next]").count() == 1,
           f"the audit trail of {len(data['releases'])} releases: nav.pager says {pager!r}, "
           f"a[rel=next] {ui.attrs('nav.pager a[rel=next]', 'href')}")
    ui.click_link("nav.pager a[rel=next]")
    expect("page 2 of" in ui.text("nav.pager").lower(),
           f"a[rel=next] on the audit trail led {ui.where()}: {ui.html('nav.pager')}")
    cookie = ui.cookie()["value"]
    busiest = data["deployments"][-1]
    targets = [("overview p1", "/ui"), (f"overview p{pages}", f"/ui?page={pages}"),
               ("release", f"/ui/releases/{busiest['releaseId']}"),
               ("environment", f"/ui/environments/{data['environments'][0]}"),
               ("component", "/ui/components/api"), ("audit", "/ui/audit")]
    for label, path in targets:
        runs = []
        for i in range(TIMED_RUNS + 1):
            status, headers, body, secs = raw_get(server.base, path, cookie)
            expect(status == 200, f"GET {path} at scale -> {status} {headers.get('location')}: "
                                  f"{squeeze(body.decode('utf-8', 'replace'))}")
            if i:
                runs.append(secs * 1000)
        print(f"    figure {label}: {statistics.median(runs):.1f} ms (median of {TIMED_RUNS}; "
              f"min {min(runs):.1f}, max {max(runs):.1f}; {len(body) // 1024} KiB)")


# ---------------------------------------------------------------------------------------------


CHECKS = [("walkthrough", check_walkthrough), ("component-and-sync", check_component_and_sync),
          ("audit", check_audit), ("sign-out", check_sign_out),
          ("cookie-flags", check_cookie_flags),
          ("xss", check_xss), ("csrf", check_csrf), ("read-token", check_read_token),
          ("scale", check_scale)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--screenshots", default=os.path.join(ROOT, "target", "ui-screenshots"))
    parser.add_argument("--only", help="comma-separated check names (setup always runs)")
    args = parser.parse_args()

    def on_term(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    began = time.monotonic()
    os.makedirs(args.screenshots, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="relman-ui-")
    st = {"binary": os.path.abspath(args.binary), "shots": args.screenshots, "tmp": tmp,
          "contexts": [], "closing": [], "screenshots": []}
    only = set(args.only.split(",")) if args.only else None
    passed = failed = 0

    def report(name, fn):
        nonlocal passed, failed
        t0 = time.monotonic()
        try:
            fn(st)
            passed += 1
            print(f"PASS {name} ({time.monotonic() - t0:.1f}s)", flush=True)
        except KeyError as e:
            failed += 1
            print(f"FAIL {name}: needs {e} from an earlier step that failed", flush=True)
        except Exception as e:  # noqa: BLE001 each check reports its own failure
            failed += 1
            detail = str(e) if isinstance(e, (Failed, harness.TestFailure)) else \
                traceback.format_exc(limit=5)
            print(f"FAIL {name} ({time.monotonic() - t0:.1f}s): "
                  + detail.replace("\n", "\n    "), flush=True)

    registry = pw = browser = None
    try:
        if only is None or "scale" in only:
            try:
                start_scale_server(st)
            except Exception as e:  # noqa: BLE001 reported by the scale check
                st["scale_error"] = e

        def setup(st):
            nonlocal registry
            registry = oci.Registry(tmp, harness.free_port())
            st["registry"] = registry
            st["images"] = seed.Images(tmp, registry)
            server = harness.Server(st["binary"], harness.SqliteBackend(), "ui-main")
            st["closing"].append(server)
            server.start()
            st["server"], st["client"] = server, server.client()
            seed.seed_main(st)
            st["env_ids"] = {e["name"]: e["id"] for e in
                             call(st["client"], "GET", "/environments", status=(200,)).json()}
            status, _, body, _ = raw_get(server.base, "/ui/sign-in")
            expect(status == 200, f"GET /ui/sign-in -> {status}: the server has no dashboard? "
                                  f"{squeeze(body.decode('utf-8', 'replace'))}")

        report("setup", setup)
        pw = sync_playwright().start()
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        st["browser"] = browser
        for name, fn in CHECKS:
            if only is None or name in only:
                report(name, fn)
    except KeyboardInterrupt:
        print("FAIL interrupted (timeout?)", flush=True)
        failed += 1
    finally:
        for ctx in st["contexts"]:
            try:
                ctx.close()
            except Exception:  # noqa: BLE001 closing after a failure
                pass
        if browser:
            browser.close()
        if pw:
            pw.stop()
        for s in st["closing"]:
            s.close()
        if registry:
            registry.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"    screenshots: {len(st['screenshots'])} in {args.screenshots}")
    print(f"{passed} passed, {failed} failed in {time.monotonic() - began:.0f}s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
