#!/usr/bin/env python3
"""The `recur serve` page in headless Chromium, as a person would use it: load GET /, type a text, press
Predict, read the label and probabilities from the page, check them against POST /v1/predict, wait for the words
coloured by POST /v1/explain and check their words and scores against it, save a screenshot.

    scripts/check_serve_page.py RUN [--recur .build/release/recur] [--screenshot serve-page.png]
    scripts/check_serve_page.py --url http://127.0.0.1:8080/      # a server that is already running

Needs Debian's chromium and chromium-driver and PyPI's selenium (installed when missing).
"""
import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request

TEXTS = ["a gorgeous , witty , seductive movie .", "the plot is a mess and the acting is worse"]


def ensure_tools():
    if not (os.path.exists("/usr/bin/chromium") and os.path.exists("/usr/bin/chromedriver")):
        subprocess.run(["apt-get", "install", "-y", "-q", "chromium", "chromium-driver"], check=True,
                       stdout=subprocess.DEVNULL)
    try:
        import selenium  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "selenium"], check=True)


def wait_ready(url, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url + "readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"error: {url} did not become ready in {seconds} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", nargs="?", help="run folder to serve (omit with --url)")
    parser.add_argument("--url", help="an already running server, e.g. http://127.0.0.1:8080/")
    parser.add_argument("--recur", default=".build/release/recur")
    parser.add_argument("--port", type=int, default=18090)
    parser.add_argument("--screenshot", default="serve-page.png")
    arguments = parser.parse_args()
    if not arguments.url and not arguments.run:
        parser.error("give a run folder or --url")
    ensure_tools()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    server = None
    url = arguments.url
    if not url:
        url = f"http://127.0.0.1:{arguments.port}/"
        server = subprocess.Popen([arguments.recur, "serve", "--model", arguments.run, "--port", str(arguments.port),
                                   "--device", "cpu"], stderr=subprocess.DEVNULL)
    url = url if url.endswith("/") else url + "/"
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1000,720"):
        options.add_argument(flag)
    driver = None
    try:
        wait_ready(url)
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        driver.get(url)
        wait = WebDriverWait(driver, 20)
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#model option"))
        box = driver.find_element(By.ID, "texts")
        box.send_keys("\n".join(TEXTS))
        driver.find_element(By.ID, "predict").click()
        wait.until(expected_conditions.presence_of_all_elements_located((By.CSS_SELECTOR, "#results .result")))
        # Integrated gradients follow the prediction; every card gets its coloured words.
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#results .result .words")) == len(TEXTS))
        cards = driver.find_elements(By.CSS_SELECTOR, "#results .result")
        shown = []
        for card in cards:
            classes = [e.text for e in card.find_elements(By.CSS_SELECTOR, ".bars .class")]
            values = [float(e.text) for e in card.find_elements(By.CSS_SELECTOR, ".bars .probability")]
            words = card.find_elements(By.CSS_SELECTOR, ".words .word")
            shown.append({"text": card.find_element(By.CSS_SELECTOR, ".text").text,
                          "label": card.find_element(By.CSS_SELECTOR, ".label").text,
                          "probabilities": dict(zip(classes, values)),
                          "words": [e.text for e in words], "scores": [float(e.get_attribute("data-score")) for e in words],
                          "backgrounds": [e.value_of_css_property("background-color") for e in words]})
        driver.save_screenshot(arguments.screenshot)
        request = urllib.request.Request(url + "v1/predict", data=json.dumps({"texts": TEXTS}).encode(),
                                         headers={"Content-Type": "application/json"})
        expected = json.load(urllib.request.urlopen(request))["predictions"]
        request = urllib.request.Request(url + "v1/explain", data=json.dumps({"texts": TEXTS}).encode(),
                                         headers={"Content-Type": "application/json"})
        explained = json.load(urllib.request.urlopen(request))["explanations"]
        failures = []
        for text, page, api in zip(TEXTS, shown, explained):
            print(f"page words: {' '.join(f'{w}({s:+.3f})' for w, s in zip(page['words'], page['scores']))}")
            if page["words"] != api["words"]:
                failures.append(f"'{text}': page shows words {page['words']}, /v1/explain {api['words']}")
            elif any(abs(a - b) > 1e-9 for a, b in zip(page["scores"], api["scores"])):
                failures.append(f"'{text}': page scores {page['scores']} differ from /v1/explain's {api['scores']}")
            strongest = max(range(len(api["scores"])), key=lambda i: abs(api["scores"][i]))
            colour = page["backgrounds"][strongest]
            want = "rgba(0, 160, 60" if api["scores"][strongest] >= 0 else "rgba(220, 30, 30"
            if not colour.startswith(want):
                failures.append(f"'{text}': the strongest word '{api['words'][strongest]}' is drawn {colour}, expected {want}, 0.8)")
        if len(shown) != len(TEXTS):
            failures.append(f"the page shows {len(shown)} results for {len(TEXTS)} texts")
        for text, page, api in zip(TEXTS, shown, expected):
            print(f"page: {page['label']:>8}  {page['probabilities']}  {text}")
            if page["text"] != text or page["label"] != api["label"]:
                failures.append(f"'{text}': page says {page['label']} for '{page['text']}', the API {api['label']}")
            for label, value in api["probabilities"].items():
                if abs(page["probabilities"].get(label, -1) - value) > 5e-4:  # the page shows 3 decimals
                    failures.append(f"'{text}': page shows {label}={page['probabilities'].get(label)}, API {value:.4f}")
        print(f"screenshot: {arguments.screenshot}")
        if failures:
            sys.exit("error: " + "; ".join(failures))
        print(f"serve page check passed: {len(shown)} texts typed, predicted, explained and read back from the DOM")
    finally:
        if driver:
            driver.quit()
        if server:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
