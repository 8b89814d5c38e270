"""Locust users for bench/portal_load.py: partners editing a request and proofing it.

Each simulated partner signs in, opens its draft request and then, like a person
typing with pauses, changes its contact line and asks for the live proof of the DL
leaflet as the page's script does (350 ms after the last key press): the proof is
asked for, then waited for at the address the answer gives until it is made. "proof
leaflet-dl" is that whole wait, from the first request to the proof's pages."""
import itertools
import os
import random
import re
import time

from locust import HttpUser, between, task

PASSWORD = os.environ["PORTAL_BENCH_PASSWORD"]
COUNT = int(os.environ.get("PORTAL_BENCH_USERS", "50"))
WIDTH = "600"  # the proof column of a 1280 px wide window
_numbers = itertools.count()
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
LINES = ["Open Monday to Friday", "Open Monday to Friday, 9am to 5pm", "Drop-in on Tuesdays",
         "Ask for the outreach team", "Confidential advice", "Evenings by appointment"]


class Partner(HttpUser):
    wait_time = between(2, 5)  # a person reading the proof and typing the next change

    def on_start(self):
        n = next(_numbers) % COUNT
        self.n = n
        page = self.client.get("/accounts/login/", name="login page")
        token = TOKEN.search(page.text).group(1)
        response = self.client.post("/accounts/login/", name="sign in", allow_redirects=False,
                                    data={"username": f"bench-{n}@bench.example", "password": PASSWORD,
                                          "csrfmiddlewaretoken": token},
                                    headers={"Referer": self.host + "/accounts/login/"})
        if response.status_code != 302:
            raise RuntimeError(f"sign-in failed for bench-{n}: {response.status_code}")
        self.edit_page()

    def edit_page(self):
        page = self.client.get(f"/requests/{self.n + 1}/edit/", name="request page")
        self.token = TOKEN.search(page.text).group(1)

    @task(10)
    def proof(self):
        contact = f"Bench Partner {self.n}, {random.choice(LINES)}"
        started = time.perf_counter()
        failure = None
        response = self.client.post(f"/requests/{self.n + 1}/proof/leaflet-dl.json", name="proof ask",
                                    data={"printed_name": f"Bench Partner {self.n}", "contact": contact,
                                          "phone": "", "width": WIDTH, "csrfmiddlewaretoken": self.token},
                                    headers={"X-CSRFToken": self.token, "Referer": self.host + "/"})
        while response.status_code == 202:
            response = self.client.get(response.json()["result"], name="proof result")
        if response.status_code != 200 or len(response.json().get("pages", [])) != 2:
            failure = RuntimeError(f"no proof: {response.status_code}")
        self.environment.events.request.fire(
            request_type="PROOF", name="proof leaflet-dl", response_time=(time.perf_counter() - started) * 1000,
            response_length=len(response.content), exception=failure, context={})

    @task(1)
    def reload(self):
        self.edit_page()
