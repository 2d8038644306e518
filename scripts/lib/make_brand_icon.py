"""Draw the integration's brand icon: a photo frame with hills and a sun.

Home Assistant 2026 serves `custom_components/immich/brand/icon.png` for a custom
integration instead of asking its brands site. Run with any Python that has Pillow:
`python scripts/lib/make_brand_icon.py`.
"""

from pathlib import Path

from PIL import Image, ImageDraw

BRAND_DIR = Path(__file__).resolve().parents[2] / "custom_components" / "immich" / "brand"


def draw_icon(size: int) -> Image.Image:
    """Return a square icon of `size` pixels with a transparent background."""
    scale = size / 256
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)

    def box(x0: float, y0: float, x1: float, y1: float) -> tuple[int, int, int, int]:
        return (round(x0 * scale), round(y0 * scale), round(x1 * scale), round(y1 * scale))

    draw.rounded_rectangle(box(16, 16, 240, 240), radius=round(40 * scale), fill="#4250af")
    draw.rounded_rectangle(box(44, 52, 212, 204), radius=round(14 * scale), fill="#f4f6ff")
    draw.ellipse(box(146, 72, 186, 112), fill="#ffb400")
    hills = [(56, 192), (104, 118), (140, 168), (164, 138), (200, 192)]
    draw.polygon([(round(x * scale), round(y * scale)) for x, y in hills], fill="#18a66a")
    return image


def main() -> None:
    BRAND_DIR.mkdir(exist_ok=True)
    draw_icon(256).save(BRAND_DIR / "icon.png", optimize=True)
    draw_icon(512).save(BRAND_DIR / "icon@2x.png", optimize=True)


if __name__ == "__main__":
    main()
