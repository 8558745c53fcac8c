# Sourced by the bench scripts: wait_for_inventory FILE PID LOG waits until the lab PID has
# written its inventory FILE (60 s at most); if the lab exits first, or the time runs out, it
# prints the lab's LOG and exits the script with 1.
wait_for_inventory() {
    for _ in $(seq 1 600); do
        [[ -s $1 ]] && return 0
        kill -0 "$2" 2>/dev/null || break
        read -r -t 0.1 <> <(:) || true
    done
    echo "the lab did not write its inventory $1" >&2
    cat "$3" >&2
    exit 1
}
