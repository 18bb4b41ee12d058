"""Demo booking data. Grows as the booking app does; idempotent."""


def seed_booking_demo(tenants, say):
    return None
