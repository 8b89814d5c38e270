"""Draws phone-scams-call.png, the phone-scams example's illustration: a phone
ringing, an unknown caller, and a hand ready to hang up, in Riverside Constabulary's
colours (content/brands/riverside-constabulary.yaml). Flat shapes, no words or
numbers (a number drawn into an image could not be checked). Run it again after a
change: .venv/bin/python assets/images/phone-scams-call.py

Drawn at 4000 x 1600 and saved at 4200 x 1680 pixels: 240 ppi across an A2 poster's
426 mm with its bleed, 300 ppi across an A5's; the slots crop it around the focal
point the campaign gives.
"""
from pathlib import Path

from PIL import Image, ImageDraw

WIDTH, HEIGHT = 4000, 1600
GREEN, DEEP, AMBER, MINT, WHITE = "#0d5a53", "#063b37", "#f9a836", "#eef6f2", "#ffffff"


def draw() -> Image.Image:
    image = Image.new("RGB", (WIDTH, HEIGHT), MINT)
    d = ImageDraw.Draw(image)
    # Rings of sound around the phone, centred where the campaign's focal point is.
    cx, cy = 2000, 820
    for r, width in ((1500, 34), (1200, 40), (900, 46)):
        d.ellipse((cx - r, cy - r, cx + r, cy + r), outline="#cfe5dc", width=width)
    # The phone, tilted a little as it buzzes.
    phone = Image.new("RGBA", (760, 1400), (0, 0, 0, 0))
    p = ImageDraw.Draw(phone)
    p.rounded_rectangle((0, 0, 759, 1399), radius=110, fill=DEEP)
    p.rounded_rectangle((50, 120, 709, 1250), radius=40, fill=GREEN)
    p.ellipse((330, 1290, 430, 1370), fill=GREEN)
    # An unknown caller: a head and shoulders with a question in place of a face.
    p.ellipse((255, 260, 505, 510), fill=MINT)
    p.pieslice((155, 540, 605, 990), 180, 360, fill=MINT)
    p.arc((320, 320, 440, 430), 200, 20, fill=GREEN, width=26)
    p.line((395, 425, 380, 455), fill=GREEN, width=26)
    p.ellipse((365, 470, 395, 500), fill=GREEN)
    # Hang up (amber, larger) and answer (muted) buttons.
    p.ellipse((120, 1010, 320, 1210), fill=AMBER)
    p.rounded_rectangle((165, 1090, 275, 1130), radius=18, fill=DEEP)
    p.ellipse((440, 1010, 640, 1210), fill="#2f7d74")
    phone = phone.rotate(-8, resample=Image.BICUBIC, expand=True)
    image.paste(phone, (cx - phone.width // 2, cy - phone.height // 2 - 20), phone)
    # A thumb on its way to the amber button.
    d.ellipse((1560, 1230, 1900, 1700), fill="#e0a878")
    d.rounded_rectangle((1640, 1350, 1860, 1700), radius=90, fill="#e0a878")
    # Small things adding up: the series' dots, growing to the right.
    for i in range(9):
        r = 12 + i * 7
        x = 3000 + i * 110
        d.ellipse((x - r, 300 - r, x + r, 300 + r), fill=AMBER)
        d.ellipse((4000 - x - r, 1320 - r, 4000 - x + r, 1320 + r), fill=GREEN)
    return image


if __name__ == "__main__":
    out = Path(__file__).with_suffix(".png")
    draw().resize((4200, 1680), Image.LANCZOS).save(out, optimize=True, dpi=(240, 240))
    print(out, out.stat().st_size, "bytes")
