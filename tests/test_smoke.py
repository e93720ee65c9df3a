from helpers import login


def test_health(client):
    r = client.get("/health")
    assert r.status_code == 200
    body = r.get_json()
    assert body["status"] == "ok" and body["database"]["up_to_date"] is True


def test_student_dashboard(client, w):
    r = login(client, "alice@example.com")
    assert r.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert w.course().title in page
