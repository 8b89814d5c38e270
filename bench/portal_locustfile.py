"""Locust users for bench/portal_load.py: partners editing a request and proofing it.

Each simulated partner signs in, opens its draft request and then, like a person
typing with pauses, changes its contact line and asks for the live proof of the DL
leaflet (the page's script does the same after 350 ms without a key press)."""
import itertools
import os
import random
import re

from locust import HttpUser, between, task

PASSWORD = os.environ["PORTAL_BENCH_PASSWORD"]
COUNT = int(os.environ.get("PORTAL_BENCH_USERS", "50"))
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
        with self.client.post(f"/requests/{self.n + 1}/proof/leaflet-dl.json", name="proof leaflet-dl",
                              data={"printed_name": f"Bench Partner {self.n}", "contact": contact, "phone": "",
                                    "csrfmiddlewaretoken": self.token},
                              headers={"X-CSRFToken": self.token, "Referer": self.host + "/"},
                              catch_response=True) as response:
            if response.status_code != 200 or len(response.json().get("pages", [])) != 2:
                response.failure(f"no proof: {response.status_code}")

    @task(1)
    def reload(self):
        self.edit_page()
