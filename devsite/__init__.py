"""The replica of the ICMPD site on loopback: what the demo, the tests and the bench crawl."""
