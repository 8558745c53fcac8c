# netrun:local: netrun and exactly the shared libraries it loads (built by testbed/docker/build).
FROM scratch
COPY rootfs/ /
ENV HOME=/root
ENTRYPOINT ["/netrun"]
