"""Test helpers shared by the tiers: report files built by code, AppTest and browser drivers."""
