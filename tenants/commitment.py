"""The platform's data-security commitment that an applicant accepts on applying.

The hash of the exact text shown is recorded with the time of acceptance; changing the
text changes the hash, so an application always says which text was accepted.
"""

import hashlib

COMMITMENT_TEXT = """\
数据安全承诺书 / Data-security commitment

一、本单位仅在平台安全可信环境（沙箱）内使用公共数据，原始数据不出域，不以任何方式复制、下载、\
传播原始数据。
1. We use public data only inside the platform's sandbox; raw data never leaves it and we do not \
copy, download or pass on raw data in any way.

二、本单位仅在获批场景的数据范围和期限内使用数据，超出范围须重新申请审核。
2. We use data only within the scope and period of an authorized scenario; anything beyond it \
needs a new review.

三、本单位不尝试重新识别任何个人、船舶、企业或设备，不尝试绕过脱敏、披露风险检查或沙箱隔离。
3. We do not try to re-identify any person, vessel, company or device, nor to get around masking, \
disclosure checks or sandbox isolation.

四、计算结果须经披露风险检查和审核放行后方可出域使用。
4. Outputs leave the platform only after disclosure checks and a reviewer's release.

五、本单位接受运营机构的审计，违反本承诺的，运营机构可暂停或撤销本单位的准入资格。
5. We accept the operator's audit; for a breach of this commitment the operator may suspend or \
revoke our admission.
"""

COMMITMENT_SHA256 = hashlib.sha256(COMMITMENT_TEXT.encode()).hexdigest()
