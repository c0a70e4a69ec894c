"""What the tests and the benchmarks share: the machine's services, builders of booked
appointments, a real SMTP sink and `worker.py` processes. Not part of the product (the wheel
leaves it out); benchmarks import it instead of importing tests/."""
