"""Pure chain maths (numpy only, no Django): PCR, max pain, skew, build-up, GEX, walls, sentiment, series.

Every function takes plain arrays/floats and returns plain values, so it can be tested and profiled alone.
"""
