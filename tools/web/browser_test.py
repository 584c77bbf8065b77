#!/usr/bin/env python3
"""End-to-end checks of `photoq --web` in headless Chromium (Debian's chromium,
chromium-driver and python3-selenium).

    browser_test.py URL [--expect-first NAME] [--screenshots DIR]

URL is the address `photoq --web` printed (with its token); the daemon behind
it must have indexed the sample photos. Prints one line per check passed and
exits 1 at the first failure. With --screenshots it also writes
web-search.png, web-photo.png and web-photo-dark.png into DIR.
"""
import argparse
import http.client
import json
import os
import sys
import urllib.parse

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

FOREIGN_HOST = "rebind.example"


def fail(message):
    print(f"FAIL: {message}", flush=True)
    sys.exit(1)


def ok(message):
    print(f"ok: {message}", flush=True)


def browser(port, width, height):
    options = webdriver.ChromeOptions()
    for path in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if os.path.exists(path):
            options.binary_location = path
            break
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 f"--window-size={width},{height}", "--hide-scrollbars", "--force-device-scale-factor=1",
                 "--no-first-run", "--disable-extensions", "--lang=en-US",
                 # A stand-in for DNS rebinding: a foreign name that resolves to this machine.
                 f"--host-resolver-rules=MAP {FOREIGN_HOST} 127.0.0.1"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver_path = next((p for p in ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver") if os.path.exists(p)), None)
    service = Service(driver_path) if driver_path else Service()
    return webdriver.Chrome(service=service, options=options)


def wait(driver, what, condition, timeout=60):
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.2).until(lambda d: condition(d))
    except TimeoutException:
        fail(f"timed out waiting for {what}; page says: {driver.find_element(By.TAG_NAME, 'body').text[:500]!r}")


def raw_status(port, path, headers):
    """The status of a request sent with exactly these headers (Host included)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
    for name, value in headers.items():
        connection.putheader(name, value)
    connection.endheaders()
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status


def api_json(port, token, path):
    """A JSON API answer, fetched with the bearer token as any client would."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path, headers={"Host": f"127.0.0.1:{port}", "Authorization": f"Bearer {token}"})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return json.loads(body)


def tiles(driver):
    return driver.find_elements(By.CSS_SELECTOR, "#grid a")


def loaded_images(driver, selector):
    return driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])].filter(i => i.complete && i.naturalWidth > 0).length",
        selector)


def set_dark(driver, dark):
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia",
                           {"features": [{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--query", default="a dog")
    parser.add_argument("--expect-first", default="dog.jpg")
    parser.add_argument("--screenshots", metavar="DIR")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=820)
    args = parser.parse_args()
    url = urllib.parse.urlsplit(args.url)
    token = urllib.parse.parse_qs(url.query).get("token", [""])[0]
    port = url.port
    if url.hostname != "127.0.0.1" or not port or len(token) != 32:
        fail(f"unexpected address {args.url}")
    base = f"http://127.0.0.1:{port}"

    # Below the browser: the rules hold whatever client sends the request.
    if raw_status(port, "/api/status", {"Host": f"127.0.0.1:{port}"}) != 401:
        fail("a request without the token was not refused with 401")
    if raw_status(port, "/api/status", {"Host": f"127.0.0.1:{port}", "Authorization": f"Bearer {token}"}) != 200:
        fail("the bearer token was not accepted")
    if raw_status(port, "/api/status", {"Host": f"evil.example:{port}", "Authorization": f"Bearer {token}"}) not in (403, 421):
        fail("a foreign Host was not refused")
    ok("HTTP: no token -> 401, bearer token -> 200, foreign Host -> refused")

    driver = browser(port, args.width, args.height)
    try:
        # Without the token the browser gets nothing but the refusal.
        driver.get(base + "/")
        body = driver.find_element(By.TAG_NAME, "body").text
        if "access token" not in body or driver.find_elements(By.ID, "q"):
            fail(f"the page was served without the token: {body[:200]!r}")
        ok("browser without the token is refused")

        # A page of another name that resolves here (DNS rebinding) is refused, even with the token.
        driver.get(f"http://{FOREIGN_HOST}:{port}/?token={token}")
        if driver.find_elements(By.ID, "q") or "answers only to" not in driver.find_element(By.TAG_NAME, "body").text:
            fail("the page was served under a foreign Host name")
        ok(f"browser at http://{FOREIGN_HOST}:{port}/ is refused")

        # The printed address: the token becomes a cookie and leaves the address bar.
        driver.get(args.url)
        wait(driver, "the search box", lambda d: d.find_elements(By.ID, "q"))
        if "token" in driver.current_url:
            fail(f"the token stayed in the address bar: {driver.current_url}")
        cookies = {c["name"]: c for c in driver.get_cookies()}
        cookie = cookies.get("photoq_web")
        if not cookie or not cookie.get("httpOnly") or cookie.get("sameSite") != "Strict":
            fail(f"the session cookie is not HttpOnly SameSite=Strict: {cookie}")
        if "photoq_web" in driver.execute_script("return document.cookie"):
            fail("page scripts can read the session cookie")
        ok("page loads; the token became an HttpOnly SameSite=Strict cookie and left the URL")

        # "/" focuses the search box, typing a query shows thumbnails, the expected photo first.
        driver.find_element(By.TAG_NAME, "body").send_keys("/")
        if driver.switch_to.active_element.get_attribute("id") != "q":
            fail("/ did not focus the search box")
        driver.switch_to.active_element.send_keys(args.query, Keys.ENTER)
        wait(driver, "results", lambda d: len(tiles(d)) > 0)
        wait(driver, "thumbnails", lambda d: loaded_images(d, "#grid img") == len(tiles(d)))
        first = tiles(driver)[0].get_attribute("data-path")
        if os.path.basename(first) != args.expect_first:
            fail(f"the first result for {args.query!r} is {first}, not {args.expect_first}")
        # The page asked for exactly the typed words: the same photos as the API.
        expected = api_json(port, token, "/api/search?n=40&q=" + urllib.parse.quote(args.query))
        shown = [t.get_attribute("data-path") for t in tiles(driver)]
        if shown != [r["path"] for r in expected["results"]]:
            fail(f"the page shows {len(shown)} photos for {args.query!r}, the API {len(expected['results'])}: the query was not sent as typed")
        ok(f"{args.query!r} shows {len(tiles(driver))} thumbnails, {args.expect_first} first, as the API answers")

        # Keyboard: an arrow focuses the first tile, Enter opens it.
        driver.find_element(By.TAG_NAME, "body").click()
        driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT)
        if driver.switch_to.active_element.get_attribute("data-path") != first:
            fail("an arrow key did not focus the first result")
        if args.screenshots:
            driver.execute_script("document.activeElement.blur(); window.scrollTo(0, 0)")
            # The score shows on hover.
            ActionChains(driver).move_to_element(tiles(driver)[0]).perform()
            shoot(driver, args.screenshots, "web-search")
            driver.execute_script("document.querySelector('#grid a').focus()")
        driver.switch_to.active_element.send_keys(Keys.ENTER)

        # The photo view: the photo, its path, and the heat map with the query's words.
        wait(driver, "the photo view", lambda d: d.find_element(By.ID, "photo-view").is_displayed())
        wait(driver, "the photo", lambda d: loaded_images(d, "#photo") == 1)
        if not driver.find_element(By.ID, "photo-path").text.endswith(args.expect_first):
            fail(f"the photo view shows {driver.find_element(By.ID, 'photo-path').text!r}")
        wait(driver, "the heat map", lambda d: d.find_element(By.ID, "heat").is_displayed()
             and loaded_images(d, "#heat") == 1, timeout=120)
        words = [w.text for w in driver.find_elements(By.CSS_SELECTOR, "#words button")]
        if not words or not any(w.split()[0] == "dog" for w in words):
            fail(f"the words with scores are missing or lack 'dog': {words}")
        photo = driver.find_element(By.ID, "photo").rect
        heat = driver.find_element(By.ID, "heat").rect
        if abs(photo["width"] - heat["width"]) > 2 or abs(photo["height"] - heat["height"]) > 2:
            fail(f"the heat map {heat} does not cover the photo {photo}")
        slider = driver.find_element(By.ID, "opacity")
        driver.execute_script("arguments[0].value = 30; arguments[0].dispatchEvent(new Event('input'))", slider)
        if abs(float(driver.find_element(By.ID, "heat").value_of_css_property("opacity")) - 0.3) > 0.01:
            fail("the opacity slider does not change the heat map")
        driver.execute_script("arguments[0].value = 65; arguments[0].dispatchEvent(new Event('input'))", slider)
        ok(f"opening it shows the photo and the heat map, words {words}")
        if args.screenshots:
            shoot(driver, args.screenshots, "web-photo", dark=True)

        # More like this: a grid again, led by the photo itself.
        driver.find_element(By.ID, "similar").click()
        wait(driver, "similar results", lambda d: d.find_element(By.ID, "search-view").is_displayed()
             and len(tiles(d)) > 0 and "like photo" in d.find_element(By.ID, "summary").text)
        wait(driver, "similar thumbnails", lambda d: loaded_images(d, "#grid img") == len(tiles(d)))
        similar = [t.get_attribute("data-path") for t in tiles(driver)]
        if first in similar:
            fail(f"more like this lists the photo itself: {similar}")
        ok(f"more like this shows {len(similar)} results, led by {os.path.basename(similar[0])}")

        # Esc returns from the photo view to the list it came from.
        driver.execute_script("document.querySelector('#grid a').focus()")
        driver.switch_to.active_element.send_keys(Keys.ENTER)
        wait(driver, "the photo view again", lambda d: d.find_element(By.ID, "photo-view").is_displayed())
        driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
        wait(driver, "the list after Esc", lambda d: d.find_element(By.ID, "search-view").is_displayed())
        ok("Esc goes back to the results")

        # The status line counts the index.
        status = wait(driver, "the status line", lambda d: "indexed" in d.find_element(By.ID, "status").text
                      and d.find_element(By.ID, "status").text)
        ok(f"status line: {status}")

        # Nothing was blocked by the Content-Security-Policy or failed to load.
        problems = [e["message"] for e in driver.get_log("browser")
                    if e["level"] == "SEVERE" and "401" not in e["message"] and "421" not in e["message"]]
        if problems:
            fail(f"the browser console reported: {problems}")
        ok("no console errors (no CSP violations)")
    finally:
        driver.quit()
    print(json.dumps({"passed": True}))


def shoot(driver, folder, name, dark=False):
    os.makedirs(folder, exist_ok=True)
    driver.save_screenshot(os.path.join(folder, name + ".png"))
    if not dark:
        ok(f"screenshot {name}.png in {folder}")
        return
    set_dark(driver, True)
    driver.execute_script("return new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    driver.save_screenshot(os.path.join(folder, name + "-dark.png"))
    set_dark(driver, False)
    ok(f"screenshots {name}.png and {name}-dark.png in {folder}")


if __name__ == "__main__":
    main()
