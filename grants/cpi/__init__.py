"""Consumer price index series (Statistics Canada table 18-10-0004-01) and the rates drawn from them."""
