"""The sandboxes' few HTML pages, self-contained: inline CSS, no script, nothing remote."""

_STYLE = """
<style>
 body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222;background:#fafafa}
 h1{font-size:1.4rem} h2{font-size:1.1rem;margin-top:2rem}
 table{border-collapse:collapse;width:100%;background:#fff}
 th,td{border:1px solid #ddd;padding:.35rem .5rem;text-align:left;font-size:.9rem}
 th{background:#eee} td.num{text-align:right}
 form.inline{display:inline} button{cursor:pointer;margin:.1rem}
 .box{background:#fff;border:1px solid #ddd;padding:1rem;max-width:34rem}
 .note{color:#666;font-size:.85rem} .status{font-weight:600}
 label{display:inline-block;min-width:7rem}
</style>
"""

AUTHORIZE_HTML = (
    """<!doctype html><html lang="ja"><head><meta charset="utf-8">
<title>{{ provider }} sandbox – authorize</title>"""
    + _STYLE
    + """</head><body>
<h1>{{ provider }} sandbox</h1>
<div class="box">
 <p>アプリケーション <b>{{ client_id }}</b> が次の権限を求めています /
    The application <b>{{ client_id }}</b> asks for:</p>
 <p><code>{{ scope or "(default scope)" }}</code></p>
 <form method="post">
  {% for name, value in params %}<input type="hidden" name="{{ name }}" value="{{ value }}">
  {% endfor %}
  <button name="decision" value="allow">許可する / Allow</button>
  <button name="decision" value="deny">拒否する / Deny</button>
 </form>
 <p class="note">Sandbox: no real account is involved.</p>
</div></body></html>"""
)

OAUTH_ERROR_HTML = (
    """<!doctype html><html lang="ja"><head><meta charset="utf-8">
<title>{{ provider }} sandbox – error</title>"""
    + _STYLE
    + """</head><body><h1>{{ provider }} sandbox</h1>
<div class="box"><p>{{ message }}</p></div></body></html>"""
)

PAGE_HTML = (
    """<!doctype html><html lang="ja"><head><meta charset="utf-8">
<title>{{ provider }} sandbox</title>"""
    + _STYLE
    + """</head><body>
<h1>{{ provider }} sandbox</h1>
<p class="note">書類はこのサンドボックスに保存されています / Documents held by this sandbox.
 API: <code>{{ api_base }}</code> ·
 <a href="{{ base }}/_sandbox/requests">request log (JSON)</a></p>
<h2>書類 / Documents</h2>
<table>
 <tr><th>種類 / Kind</th><th>番号 / Number</th><th>取引先 / Partner</th><th>金額 / Amount</th>
     <th>状態 / Status</th><th>更新 / Updated</th><th></th></tr>
 {% for doc in documents %}
 <tr id="doc-{{ doc.id }}">
  <td>{{ doc.kind }}</td><td>{{ doc.number }}</td><td>{{ doc.partner }}</td>
  <td class="num">{{ doc.amount }}</td><td class="status">{{ doc.status }}</td>
  <td>{{ doc.updated }}</td>
  <td>
   {% if doc.get("payable", True) %}
   <form class="inline" method="post" action="{{ base }}/_sandbox/documents/{{ doc.id }}/status">
    <input type="hidden" name="status" value="paid">
    <button>入金済みにする / Mark paid</button></form>{% endif %}
   <form class="inline" method="post" action="{{ base }}/_sandbox/documents/{{ doc.id }}/delete">
    <button>削除 / Delete</button></form>
  </td>
 </tr>
 {% else %}
 <tr><td colspan="7">まだ書類はありません / No documents yet.</td></tr>
 {% endfor %}
</table>
<h2>障害の注入 / Fault injection</h2>
<form class="box" method="post" action="{{ base }}/_sandbox/faults">
 <p><label>kind</label><select name="kind">
  {% for kind in kinds %}<option>{{ kind }}</option>{% endfor %}</select></p>
 <p><label>count</label><input name="count" value="1" size="4"></p>
 <p><label>retry_after (s)</label><input name="retry_after" value="2" size="4"></p>
 <p><label>delay (s)</label><input name="delay" value="3" size="4"></p>
 <p><label>path (regex)</label><input name="path" size="24"></p>
 <p><label>method</label><input name="method" size="8"></p>
 <button>注入する / Inject</button>
</form>
{% if faults %}<p>Pending: {% for f in faults %}<code>{{ f.kind }}×{{ f.count }}</code>
{% endfor %}</p>
<form method="post" action="{{ base }}/_sandbox/faults/clear">
 <button>障害を解除 / Clear faults</button></form>{% endif %}
</body></html>"""
)
