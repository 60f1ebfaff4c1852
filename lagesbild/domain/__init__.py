"""Plain concepts every part shares: settings and paths, quarters, text matching, Swedish number
formatting, code lists and areas, and the Problem that every refusal is made of.
"""
