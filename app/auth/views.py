"""Sign-up, sign-in and sign-out views."""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter import RequestLimit
from flask_login import current_user, login_user, logout_user

from app import accounts
from app.auth import bp, safe_next
from app.extensions import limiter
from app.models.user import normalize_email
from app.ratelimit import client_address, seconds_until

WRONG_CREDENTIALS = "Wrong email or password."


def _login_limit_per_address() -> str:
    return current_app.config["LOGIN_RATE_LIMIT_PER_ADDRESS"]


def _login_limit_per_email() -> str:
    return current_app.config["LOGIN_RATE_LIMIT_PER_EMAIL"]


def _address_key() -> str:
    return f"address:{client_address()}"


def _email_key() -> str:
    # Never empty, or Flask-Limiter would skip the limit.
    return f"email:{normalize_email(request.form.get('email', ''))}"


def _too_many_attempts(limit: RequestLimit):
    # The form the person was using, with the message, as a 429 that says when to retry.
    wait = seconds_until(limit.window.reset_time)
    message = f"Too many sign-in attempts. Try again in {wait} seconds."
    template = "auth/signup.html" if request.endpoint == "auth.signup" else "auth/login.html"
    email = request.form.get("email", "")
    response = make_response(render_template(template, email=email, error=message), 429)
    response.headers["Retry-After"] = str(wait)
    return response


def _per_address():
    # Sign-in and sign-up draw on one budget per address (a shared limit: one counter).
    return limiter.shared_limit(
        _login_limit_per_address,
        scope="sign-in-address",
        key_func=_address_key,
        methods=["POST"],
        on_breach=_too_many_attempts,
    )


def _landing_page() -> str:
    return safe_next(request.args.get("next")) or url_for("console.index")


@bp.route("/signup", methods=["GET", "POST"])
@_per_address()
def signup():
    """Create an account and sign in to it."""
    if not current_app.config["SIGNUP_ENABLED"]:
        abort(404)
    if current_user.is_authenticated:
        return redirect(url_for("console.index"))
    email = request.form.get("email", "")
    if request.method == "GET":
        return render_template("auth/signup.html", email=email)
    try:
        user = accounts.create_user(
            email, request.form.get("password"), rounds=current_app.config["BCRYPT_ROUNDS"]
        )
    except accounts.AccountRefused as refused:
        return render_template("auth/signup.html", email=email, error=str(refused)), 422
    session.clear()
    login_user(user)
    flash("Welcome! Create your first API key below.", "success")
    return redirect(url_for("console.index"))


@bp.route("/login", methods=["GET", "POST"])
@_per_address()
@limiter.limit(
    _login_limit_per_email,
    key_func=_email_key,
    methods=["POST"],
    scope="login-email",
    on_breach=_too_many_attempts,
)
def login():
    """Sign in with email and password; one message for any wrong combination."""
    if current_user.is_authenticated:
        return redirect(_landing_page())
    email = request.form.get("email", "")
    if request.method == "GET":
        return render_template("auth/login.html", email=email)
    user = accounts.authenticate(
        email, request.form.get("password"), rounds=current_app.config["BCRYPT_ROUNDS"]
    )
    if user is None:
        return render_template("auth/login.html", email=email, error=WRONG_CREDENTIALS), 422
    # A fresh session, so a session planted before sign-in is worth nothing.
    session.clear()
    login_user(user)
    return redirect(_landing_page())


@bp.post("/logout")
def logout():
    """Sign out (POST with CSRF, so another site cannot sign you out)."""
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.get("/")
def home():
    """Send people to the console, or to sign in first."""
    return redirect(url_for("console.index"))
