package report

import "testing"

func TestCommandLabel(t *testing.T) {
	tests := []struct{ cmd, want string }{
		{"/usr/bin/python3 -m uvicorn app:app --host 127.0.0.1 --port 41234 --workers 2", "uvicorn app:app --workers 2"},
		{"/usr/bin/python3 -m uvicorn app:app --host 127.0.0.1 --port 41234 --loop uvloop --http httptools --limit-concurrency 200",
			"uvicorn app:app --loop uvloop --http…"},
		{"gunicorn: worker [app:app]", "gunicorn: worker"},
		{"gunicorn: master [app:app]", "gunicorn: master"},
		{"/usr/bin/python3 /usr/bin/gunicorn app:app -k uvicorn.workers.UvicornWorker --bind 127.0.0.1:4000 -w 2", "gunicorn app:app -k UvicornWorker -w 2"},
		{"/tmp/go-build123/b001/loadcheck sim worker 1", "sim worker 1"},
		{"/tmp/go-build123/b001/cli.test sim worker 2", "sim worker 2"},
		{"/work/bin/loadcheck sim --workers 2 --listen 127.0.0.1:40001 --search-cpu 20ms", "sim --workers 2 --search-cpu 20ms"},
		{"/usr/bin/python3 launch.py --mode split --port 40000 --workers 2", "launch.py --mode split --workers 2"},
		{"/usr/bin/python3 -c from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=5, pipe_handle=7) --multiprocessing-fork",
			"multiprocessing worker"},
		{"nginx: master process /usr/sbin/nginx -c /tmp/x/nginx.conf", "nginx: master process"},
		{"nginx: worker process", "nginx: worker process"},
		{"/usr/bin/redis-server 127.0.0.1:6390", "redis-server"},
		{"[kworker]", "[kworker]"},
		{"", ""},
	}
	for _, tc := range tests {
		if got := commandLabel(tc.cmd); got != tc.want {
			t.Errorf("commandLabel(%q) = %q, want %q", tc.cmd, got, tc.want)
		}
	}
}
