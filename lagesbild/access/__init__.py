"""Who may do what: roles, local accounts, sign-in modes, and the access policy through which
every guarded action and every audit entry of an action goes.
"""
