"""allauth's sign-up form with the password optional and labelled so (ACCOUNT_FORMS["signup"]).

Left empty, the account has no usable password: the confirmation link signs the learner in, later
logins use an emailed code (ACCOUNT_LOGIN_BY_CODE_ENABLED) and a password can be set later from the
account page. A password typed here is checked by AUTH_PASSWORD_VALIDATORS as before.
"""

from allauth.account.forms import SignupForm as AllauthSignupForm
from django.utils.translation import gettext_lazy as _

PASSWORD_HINT = _(
    "Not needed: without one you log in with a code we email you. If you choose one: at least 10 "
    "characters, not only digits, not a common password."
)


class SignupForm(AllauthSignupForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].label = _("Email")
        password = self.fields.get("password1")
        if password is not None:
            password.label = _("Password (optional)")
            password.help_text = PASSWORD_HINT
            password.widget.attrs.pop("placeholder", None)
        self.fields["email"].widget.attrs.pop("placeholder", None)
