"""The scenario agreement (授权运营协议) a developer accepts when applying."""

import hashlib

AGREEMENT_TEXT = """\
授权运营场景协议 / Scenario agreement

一、仅为申请所述目的、在授权期限和数据范围内使用场景数据空间中的数据。
1. Use the scenario workspace's data only for the stated purpose, within the authorized
period and scope.

二、计算仅在平台沙箱内进行；计算结果经披露风险检查和审核放行后方可出域。
2. Compute only inside the platform's sandbox; outputs leave only after disclosure checks
and a reviewer's release.

三、不尝试识别假名化对象，不将本场景数据与其他场景或外部数据关联以识别个体。
3. Do not try to identify pseudonymized entities, nor link this scenario's data with other
scenarios' or outside data to single anyone out.

四、场景到期、暂停或撤销后停止使用，未放行的计算结果予以销毁。
4. Stop using the data when the scenario expires, is suspended or revoked; unreleased
outputs are destroyed.
"""

AGREEMENT_SHA256 = hashlib.sha256(AGREEMENT_TEXT.encode()).hexdigest()
