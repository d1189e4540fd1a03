"""The operation's annual public disclosure (运营情况公开): who operates, which resources are
authorized, which developers are admitted, which scenarios run, the products and services
with their fee basis, the calls and compute used, and the assets registered, for one year.
Operator staff draft it from the live data, review it and publish it; a published year is
a stored snapshot that later changes do not alter."""
