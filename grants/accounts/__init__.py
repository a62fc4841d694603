"""Accounts: users, sign-in, password reset, invitations, organization memberships, staff roles."""
