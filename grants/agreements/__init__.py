"""Funding agreements (conventions d'aide financière): PDF versions, signing, amendments."""
