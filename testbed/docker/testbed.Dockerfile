# netrun-testbed:local: one static binary and nothing else (built by testbed/docker/build).
FROM scratch
COPY netrun-testbed /netrun-testbed
# The book's ports, root inside the container so 22 and 23 bind.
EXPOSE 22 23
ENTRYPOINT ["/netrun-testbed"]
