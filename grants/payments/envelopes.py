"""The envelope rule moved to grants.agreements.envelopes (an envelope caps what agreements commit);
these names stay importable from here until review imports them from there."""

from __future__ import annotations

from grants.agreements.envelopes import EnvelopeExceeded as EnvelopeExceeded
from grants.agreements.envelopes import EnvelopePosition as EnvelopePosition
from grants.agreements.envelopes import check_commitment as check_commitment
from grants.agreements.envelopes import positions as positions
